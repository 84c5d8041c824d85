"""Deprecated: ``axiomod.grpc.server`` moved to ``axiomod_grpc.server``.

A thin re-export kept for one release (removed after 1.3), warning on import. It is an allowed
exception to "the kernel imports no app" (architecture.json); the kernel never imports it.
"""

import warnings

from axiomod_grpc.server import *  # noqa: F403
from axiomod_grpc.server import __all__  # noqa: F401

warnings.warn(
    "axiomod.grpc.server is deprecated: use axiomod_grpc.server "
    "(and add 'axiomod_grpc' to INSTALLED_APPS)",
    DeprecationWarning,
    stacklevel=2,
)
