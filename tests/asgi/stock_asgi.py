"""Django's own ASGI handler, no lifespan protocol: the control of the span-flush test."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.asgi.settings")

from django.core.asgi import get_asgi_application

application = get_asgi_application()
