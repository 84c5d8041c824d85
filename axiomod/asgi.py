"""ASGI entry point that validates the ``AXIOMOD`` setting before serving.

A stable public path; the code lives in the composition root, :mod:`axiomod.process.asgi`.
"""

from axiomod.process.asgi import get_asgi_application

__all__ = ["get_asgi_application"]
