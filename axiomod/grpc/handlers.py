"""Deprecated: ``axiomod.grpc.handlers`` moved to ``axiomod_grpc.wrapping``.

A thin re-export kept for one release (removed after 1.3), warning on import. It is an allowed
exception to "the kernel imports no app" (architecture.json); the kernel never imports it.
"""

import warnings

from axiomod_grpc.wrapping import *  # noqa: F403
from axiomod_grpc.wrapping import __all__  # noqa: F401

warnings.warn(
    "axiomod.grpc.handlers is deprecated: use axiomod_grpc.wrapping "
    "(and add 'axiomod_grpc' to INSTALLED_APPS)",
    DeprecationWarning,
    stacklevel=2,
)
