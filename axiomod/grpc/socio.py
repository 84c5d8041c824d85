"""Deprecated: ``axiomod.grpc.socio`` moved to ``axiomod_grpc.socio``.

A thin re-export kept for one release (removed after 1.3), warning on import. It is an allowed
exception to "the kernel imports no app" (architecture.json); the kernel never imports it.
"""

import warnings

from axiomod_grpc.socio import *  # noqa: F403
from axiomod_grpc.socio import __all__  # noqa: F401

warnings.warn(
    "axiomod.grpc.socio is deprecated: use axiomod_grpc.socio "
    "(and add 'axiomod_grpc' to INSTALLED_APPS)",
    DeprecationWarning,
    stacklevel=2,
)
