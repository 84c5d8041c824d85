"""axiomod for Django: production-ready Django services for Kubernetes.

The core app holds what every other axiomod app shares: the ``AXIOMOD`` settings
(:mod:`axiomod.conf`), their system checks, ``axiomod.urls``, the WSGI/ASGI entry points
that validate configuration at start-up, and the ``axiomod`` command-line tool.
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

try:
    __version__ = _version("axiomod")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "1.3.0.dev0"

__all__ = ["__version__"]
