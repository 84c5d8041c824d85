"""Deprecated: ``axiomod.grpc.interceptors`` moved (the ``axiomod_grpc`` app).

``ErrorInterceptor``/``AsyncErrorInterceptor`` are :mod:`axiomod_grpc.interceptors`',
``current_user``/``current_claims`` :mod:`axiomod_grpc.identity`'s (both also in
:mod:`axiomod_grpc`), and the bearer-token ``AuthInterceptor``/``AsyncAuthInterceptor``
:mod:`axiomod_auth.grpc`'s (looked up by name on first use, so this module does not
import ``axiomod_auth``).

A thin re-export kept for one release (removed after 1.3), warning on import. It is an allowed
exception to "the kernel imports no app" (architecture.json); the kernel never imports it.
"""

import warnings
from importlib import import_module
from typing import Any

from axiomod_grpc.identity import current_claims, current_user
from axiomod_grpc.interceptors import PASS_THROUGH, AsyncErrorInterceptor, ErrorInterceptor

__all__ = [
    "AsyncAuthInterceptor",  # noqa: F822  (__getattr__)
    "AsyncErrorInterceptor",
    "AuthInterceptor",  # noqa: F822  (__getattr__)
    "ErrorInterceptor",
    "current_claims",
    "current_user",
]
_AUTH = ("AuthInterceptor", "AsyncAuthInterceptor")
_KEPT = (PASS_THROUGH, AsyncErrorInterceptor, ErrorInterceptor, current_claims, current_user)

warnings.warn(
    "axiomod.grpc.interceptors is deprecated: use axiomod_grpc (ErrorInterceptor, "
    "current_user, current_claims) and axiomod_auth.grpc (AuthInterceptor)",
    DeprecationWarning,
    stacklevel=2,
)


def __getattr__(name: str) -> Any:
    if name in _AUTH:
        return getattr(import_module("axiomod_auth.grpc"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
