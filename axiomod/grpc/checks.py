"""System checks of ``AXIOMOD["grpc"]`` beyond the schema.

* axiomod.E061: ``tls_cert`` or ``tls_key`` cannot be read.

(axiomod.E060, a ``handlers`` entry that cannot be imported, is one of the core checks
in :mod:`axiomod.checks`.) What ``manage.py axiomod_grpc`` would fail on at start-up,
reported beforehand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.checks import CheckMessage, Error, register

from axiomod.checks import TAG
from axiomod.conf import settings

__all__ = ["check_grpc"]


@register(TAG)
def check_grpc(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
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
