"""Deprecated: ``axiomod.grpc`` is now the ``axiomod_grpc`` app.

Add ``"axiomod_grpc"`` to ``INSTALLED_APPS`` and import from ``axiomod_grpc``
(``build_server``, ``interceptor_chain``, ``current_user``...); the bearer-token
interceptors are ``axiomod_auth.grpc``'s. The submodules (``axiomod.grpc.server``,
``.handlers``, ``.interceptors``, ``.socio``, ``.checks``) are shims too.

A thin re-export kept for one release (removed after 1.3), warning on import. It is an allowed
exception to "the kernel imports no app" (architecture.json); the kernel never imports it.
"""

import warnings
from importlib import import_module
from typing import Any

__all__ = [
    "AsyncAuthInterceptor",
    "AsyncErrorInterceptor",
    "AuthInterceptor",
    "BuiltServer",
    "ErrorInterceptor",
    "build_server",
    "current_claims",
    "current_user",
    "interceptor_chain",
]

warnings.warn(
    "axiomod.grpc is deprecated: use axiomod_grpc (and add 'axiomod_grpc' to INSTALLED_APPS)",
    DeprecationWarning,
    stacklevel=2,
)


def __getattr__(name: str) -> Any:
    if name in ("AuthInterceptor", "AsyncAuthInterceptor"):
        return getattr(import_module("axiomod_auth.grpc"), name)
    if name in __all__:
        return getattr(import_module("axiomod_grpc"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
