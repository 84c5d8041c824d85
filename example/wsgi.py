"""WSGI entry point: ``gunicorn example.wsgi``.

``axiomod.wsgi.get_wsgi_application`` validates the AXIOMOD block before the first
request, so a misconfigured worker fails at boot with the setting named.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example.settings")

from axiomod.wsgi import get_wsgi_application

application = get_wsgi_application()
