"""WSGI entry point (gunicorn in `make serve` and production)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peepers.settings")

application = get_wsgi_application()
