"""ASGI entry point: ``uvicorn example.asgi:application`` or gunicorn with an ASGI worker."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example.settings")

from axiomod.asgi import get_asgi_application

application = get_asgi_application()
