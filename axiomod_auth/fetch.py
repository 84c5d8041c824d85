"""GET a JSON object from the provider, turning every failure into ProviderUnavailable.

requests (already a dependency of mozilla-django-oidc) rather than urllib: it honours
the ``REQUESTS_CA_BUNDLE`` and proxy variables a corporate deployment sets.
"""

from __future__ import annotations

from typing import Any

import requests

from .errors import ProviderUnavailable

#: A discovery document or JWKS larger than this is not one.
MAX_DOCUMENT_BYTES = 1 << 20


def fetch_json(url: str, timeout: float) -> dict[str, Any]:
    try:
        with requests.get(
            url, timeout=timeout, stream=True, headers={"Accept": "application/json"}
        ) as answer:
            if answer.status_code != 200:
                raise ProviderUnavailable(f"GET {url} answered HTTP {answer.status_code}")
            body = answer.raw.read(MAX_DOCUMENT_BYTES + 1, decode_content=True)
    except requests.RequestException as exc:
        raise ProviderUnavailable(f"GET {url} failed: {_short(exc)}") from exc
    if len(body) > MAX_DOCUMENT_BYTES:
        raise ProviderUnavailable(f"GET {url} answered more than {MAX_DOCUMENT_BYTES} bytes")
    try:
        document = requests.compat.json.loads(body)
    except ValueError as exc:
        raise ProviderUnavailable(f"GET {url} did not answer JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise ProviderUnavailable(f"GET {url} answered JSON that is not an object")
    return document


def _short(exc: Exception) -> str:
    # requests nests urllib3's errors three deep; the innermost says what happened.
    text = str(exc)
    return text if len(text) < 300 else text[:297] + "..."
