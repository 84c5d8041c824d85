"""System checks of ``AXIOMOD["grpc"]`` beyond the schema (registered by ``axiomod_grpc``).

* axiomod.E060: a ``handlers`` entry cannot be imported.
* axiomod.E061: ``tls_cert`` or ``tls_key`` cannot be read.

What ``manage.py axiomod_grpc`` would fail on at start-up, reported beforehand. E060 is
checked only when the ``AXIOMOD`` block has no schema error (as before it moved here
from the core checks); a W001 warning does not stop it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.checks import CheckMessage, Error, register

from axiomod.checks import TAG, importable
from axiomod.conf import settings

__all__ = ["check_grpc", "check_grpc_handlers"]


@register(TAG)
def check_grpc_handlers(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not apps.is_installed("axiomod_grpc") or settings.errors:
        return []  # schema errors are the core check's; W001 says to add the app
    messages: list[CheckMessage] = []
    for i, dotted in enumerate(settings.best_effort("grpc").handlers):
        problem = importable(dotted)
        if problem:
            messages.append(
                Error(
                    f'AXIOMOD["grpc"]["handlers"][{i}]: {problem}.',
                    obj="settings.AXIOMOD",
                    id="axiomod.E060",
                )
            )
    return messages


@register(TAG)
def check_grpc(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not apps.is_installed("axiomod_grpc"):
        return []
    conf = settings.best_effort("grpc")
    messages: list[CheckMessage] = []
    for name in ("tls_cert", "tls_key"):
        value = getattr(conf, name)
        if value is None:
            continue
        try:
            Path(value).read_bytes()
        except OSError as exc:
            messages.append(
                Error(
                    f'AXIOMOD["grpc"]["{name}"]: {value!r} cannot be read: {exc.strerror}.',
                    id="axiomod.E061",
                )
            )
    return messages
