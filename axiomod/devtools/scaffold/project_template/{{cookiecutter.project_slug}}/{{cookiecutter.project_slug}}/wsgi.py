"""WSGI entry point, served by ``gunicorn -c gunicorn.conf.py``.

``axiomod.wsgi.get_wsgi_application`` validates the AXIOMOD block before the first
request, so a misconfigured worker fails at boot with the setting named.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{{ cookiecutter.project_slug }}.settings")

from axiomod.wsgi import get_wsgi_application

application = get_wsgi_application()
