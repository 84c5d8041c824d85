"""Deprecated: ``axiomod.tracing.grpc`` moved to ``axiomod_grpc.tracing``.

A thin re-export kept for one release (removed after 1.3), warning on import. It is an allowed
exception to "the kernel imports no app" (architecture.json); the kernel never imports it.
"""

import warnings

from axiomod_grpc.tracing import *  # noqa: F403
from axiomod_grpc.tracing import (
    __all__,  # noqa: F401
    _Decision,  # noqa: F401  (read by earlier benchmarks)
)

warnings.warn(
    "axiomod.tracing.grpc is deprecated: use axiomod_grpc.tracing "
    "(and add 'axiomod_grpc' to INSTALLED_APPS)",
    DeprecationWarning,
    stacklevel=2,
)
