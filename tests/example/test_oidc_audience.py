"""The example's settings take the OIDC audience from OIDC_AUDIENCE (issue 21, item 13).

A provider using resource indicators (RFC 8707) puts the API's URI in ``aud``, not the
client id: without this variable the example refused every such token.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.servers import ROOT, service_env

READ = """
import json, django
django.setup()
from django.conf import settings
from axiomod.conf import settings as axiomod
oidc = settings.AXIOMOD.get("oidc")
print(json.dumps({
    "audience": oidc and oidc["audience"],
    "token_audience": oidc and axiomod.oidc.token_audience,
}))
"""


def read_oidc(**environ: str | None) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", READ],
        cwd=ROOT,
        env=service_env({"DJANGO_SETTINGS_MODULE": "example.settings", **environ}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_oidc_audience_reaches_the_oidc_section():
    found = read_oidc(
        OIDC_ISSUER="https://sso.example.com/realms/acme",
        OIDC_AUDIENCE="https://api.example.com/invoices",
    )
    assert found == {
        "audience": "https://api.example.com/invoices",
        "token_audience": "https://api.example.com/invoices",
    }


def test_without_oidc_audience_tokens_are_for_the_client_id():
    found = read_oidc(
        OIDC_ISSUER="https://sso.example.com/realms/acme",
        OIDC_CLIENT_ID="invoices-api",
        OIDC_AUDIENCE="",
    )
    assert found == {"audience": None, "token_audience": "invoices-api"}
