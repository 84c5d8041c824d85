"""WSGI entry point that validates the ``AXIOMOD`` setting before serving.

A stable public path (``example/wsgi.py``, the project template, Procfiles); the code
lives in the composition root, :mod:`axiomod.process.wsgi`.
"""

from axiomod.process.wsgi import get_wsgi_application

__all__ = ["get_wsgi_application"]
