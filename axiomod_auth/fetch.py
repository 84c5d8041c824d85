"""GET a JSON object from the provider, turning every failure into ProviderUnavailable.

requests (already a dependency of mozilla-django-oidc) rather than urllib: it honours
the ``REQUESTS_CA_BUNDLE`` and proxy variables a corporate deployment sets.

The rule is total: whatever goes wrong between asking and holding a JSON object (no name
resolution, refused or reset connections, TLS, a non-200 answer, a body cut short, a body
that stalls or trickles in, a bad ``Content-Encoding``, too many bytes, not JSON, not an
object) is :class:`ProviderUnavailable`, which the cache answers with its stale copy and
its retry interval, and a request with a 401 ``provider_unavailable`` — never a 500.
requests alone does not give that: once the headers are in, reading ``answer.raw``
raises urllib3's own ``ProtocolError`` / ``ReadTimeoutError`` / ``DecodeError``, which
are not ``requests.RequestException``, and its read timeout is per ``recv``, so a body
sent one byte at a time never times out. Hence the deadline below.
"""

from __future__ import annotations

import json
import time
from typing import Any

import requests

from .errors import ProviderUnavailable

#: A discovery document or JWKS larger than this is not one.
MAX_DOCUMENT_BYTES = 1 << 20

#: Bytes asked for per read of the body; each read waits for at most the time left.
_CHUNK_BYTES = 64 * 1024


def fetch_json(url: str, timeout: float) -> dict[str, Any]:
    """The JSON object at ``url``, read within ``timeout`` seconds of the answer's headers.

    ``timeout`` bounds the connection and the wait for the headers (requests' own
    timeouts), and then the whole body: a fetch takes at most about twice ``timeout``.
    """
    try:
        body = _get_body(url, timeout)
    except ProviderUnavailable:
        raise
    except Exception as exc:  # the rule is total; see the module docstring
        raise ProviderUnavailable(f"GET {url} failed: {_describe(exc)}") from exc
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise ProviderUnavailable(f"GET {url} did not answer JSON: {_short(exc)}") from exc
    if not isinstance(document, dict):
        raise ProviderUnavailable(f"GET {url} answered JSON that is not an object")
    return document


def _get_body(url: str, timeout: float) -> bytes:
    with requests.get(
        url, timeout=timeout, stream=True, headers={"Accept": "application/json"}
    ) as answer:
        if answer.status_code != 200:
            raise ProviderUnavailable(f"GET {url} answered HTTP {answer.status_code}")
        deadline = time.monotonic() + timeout
        raw = answer.raw
        chunks: list[bytes] = []
        size = 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _late(url, timeout, size)
            _limit_next_read(raw, left)
            # read1: what one recv gives; read(n) would loop until n bytes, deadline or not.
            try:
                chunk = raw.read1(_CHUNK_BYTES, decode_content=True)
            except Exception as exc:
                if time.monotonic() >= deadline:
                    raise _late(url, timeout, size) from exc
                raise
            if not chunk:  # the end of the body (read1 keeps decoding until it has output)
                break
            size += len(chunk)
            if size > MAX_DOCUMENT_BYTES:
                raise ProviderUnavailable(
                    f"GET {url} answered more than {MAX_DOCUMENT_BYTES} bytes"
                )
            chunks.append(chunk)
        return b"".join(chunks)


def _late(url: str, timeout: float, size: int) -> ProviderUnavailable:
    return ProviderUnavailable(
        f"GET {url} failed: the body did not arrive within {timeout:g} s ({size} bytes read)"
    )


def _limit_next_read(raw: Any, seconds: float) -> None:
    """Let the next ``recv`` wait no longer than the time left before the deadline."""
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    if sock is not None:
        sock.settimeout(max(seconds, 0.001))


def _describe(exc: BaseException) -> str:
    # requests nests urllib3's errors three deep; the innermost says what happened.
    return _short(f"{type(exc).__name__}: {exc}")


def _short(text: object) -> str:
    text = str(text)
    return text if len(text) < 300 else text[:297] + "..."
