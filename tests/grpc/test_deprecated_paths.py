"""The ``axiomod.grpc`` paths of 1.2 still work for one release, with a DeprecationWarning."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

import pytest

# old module -> (new module, names that must be the very same objects)
MOVED = {
    "axiomod.grpc": ("axiomod_grpc", ["build_server", "interceptor_chain", "current_user"]),
    "axiomod.grpc.server": ("axiomod_grpc.server", ["build_server", "stop_aio", "BuiltServer"]),
    "axiomod.grpc.handlers": ("axiomod_grpc.wrapping", ["rewrap", "WrappingInterceptor"]),
    "axiomod.grpc.interceptors": (
        "axiomod_grpc.interceptors",
        ["ErrorInterceptor", "AsyncErrorInterceptor"],
    ),
    "axiomod.grpc.socio": ("axiomod_grpc.socio", ["domain_errors_middleware"]),
    "axiomod.grpc.checks": ("axiomod_grpc.checks", ["check_grpc"]),
    "axiomod.tracing.grpc": ("axiomod_grpc.tracing", ["server_interceptor", "instrument_clients"]),
}


def import_fresh(name: str):
    for loaded in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[loaded]
    return importlib.import_module(name)


@pytest.mark.parametrize("old", list(MOVED))
def test_the_old_path_warns_and_gives_the_same_objects(old):
    new, names = MOVED[old]
    with pytest.warns(DeprecationWarning, match=rf"{old} is deprecated: use axiomod_grpc"):
        module = import_fresh(old)
    moved = importlib.import_module(new)
    for name in names:
        assert getattr(module, name) is getattr(moved, name), name


def test_the_bearer_interceptors_come_from_the_auth_app():
    from axiomod_auth import grpc as auth_grpc
    from axiomod_grpc import identity

    with pytest.warns(DeprecationWarning, match="axiomod.grpc.interceptors is deprecated"):
        interceptors = import_fresh("axiomod.grpc.interceptors")
    package = sys.modules["axiomod.grpc"]
    assert package.AuthInterceptor is interceptors.AuthInterceptor is auth_grpc.AuthInterceptor
    assert interceptors.AsyncAuthInterceptor is auth_grpc.AsyncAuthInterceptor
    assert interceptors.current_claims is identity.current_claims


def test_the_kernel_imports_no_shim():
    """Loading the project (the kernel and every app) never touches the old paths."""
    code = (
        "import warnings, sys; warnings.simplefilter('error', DeprecationWarning); "
        "import django; django.setup(); "
        "from django.core import checks; checks.run_checks(); "
        "print(sorted(m for m in sys.modules if m.startswith('axiomod.grpc') "
        "or m == 'axiomod.tracing.grpc'))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "example.settings"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
