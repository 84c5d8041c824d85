"""axiomod for Django: production-ready Django services for Kubernetes.

The core app is the kernel every other axiomod app builds on: the ``AXIOMOD`` settings
(:mod:`axiomod.conf`, each section declared by the app that reads it), their system
checks, the metrics facade (:mod:`axiomod.instruments`), signals, tracing set-up, the db
layer, domain errors and JSON views, ``axiomod.urls``. It imports no ``axiomod_*`` app.
Beside it: the composition root (:mod:`axiomod.process`, re-exported as ``axiomod.wsgi``,
``axiomod.asgi`` and ``axiomod.gunicorn_config``), the developer tooling
(:mod:`axiomod.devtools`, the ``axiomod`` command) and the test kit
(:mod:`axiomod.testing`). See docs/architecture.md.
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

try:
    __version__ = _version("axiomod")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "1.3.0.dev0"

__all__ = ["__version__"]
