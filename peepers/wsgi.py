"""WSGI entry point (gunicorn in `make serve` and production)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peepers.settings")

_django = get_wsgi_application()

from django.conf import settings  # noqa: E402 - needs the settings configured above
from django.urls import get_resolver  # noqa: E402

from peepers.lean import lean_dispatch  # noqa: E402

# Import both URLconfs (and every view module they name) while the worker boots, before it
# accepts connections: otherwise each worker's first request pays seconds for them.
for _urlconf in (settings.ROOT_URLCONF, settings.PUBLIC_SCHEMA_URLCONF):
    get_resolver(_urlconf).url_patterns  # noqa: B018 - the import is the point

application = lean_dispatch(_django)
