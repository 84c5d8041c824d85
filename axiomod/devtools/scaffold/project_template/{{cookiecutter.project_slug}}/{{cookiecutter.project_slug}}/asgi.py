"""ASGI entry point: ``uvicorn {{ cookiecutter.project_slug }}.asgi:application``.

Like ``wsgi.py``, it refuses to start with an invalid AXIOMOD block.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{{ cookiecutter.project_slug }}.settings")

from axiomod.asgi import get_asgi_application

application = get_asgi_application()
