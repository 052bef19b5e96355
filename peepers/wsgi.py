"""WSGI entry point (gunicorn in `make serve` and production)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peepers.settings")

_django = get_wsgi_application()

from peepers.lean import lean_dispatch  # noqa: E402 - needs the settings configured above

application = lean_dispatch(_django)
