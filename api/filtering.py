"""django-filter for the API's list endpoints (the package publishes no type stubs)."""

import django_filters  # type: ignore[import-untyped]
from django_filters.rest_framework import DjangoFilterBackend  # type: ignore[import-untyped]

__all__ = ["DjangoFilterBackend", "django_filters"]
