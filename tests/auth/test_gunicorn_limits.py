"""Bearer tokens up to axiomod_auth's limit reach Django under ``axiomod.gunicorn_config``.

gunicorn refuses a header line above ``limit_request_field_size`` (8,190 bytes by
default) with its own 431 before the application runs, so a provider's large token
(many groups or roles) failed there instead of being verified. The config module sizes
the limit to the token limit; these tests start a real gunicorn with it.
"""

from __future__ import annotations

import json

import pytest

from axiomod.testing.oidc_provider import CLIENT_ID
from axiomod_auth.tokens import MAX_TOKEN_LENGTH
from tests.servers import gunicorn

pytestmark = pytest.mark.integration


@pytest.fixture
def served(tmp_path, provider):
    env = {
        "OIDC_ISSUER": provider.issuer,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "AXIOMOD_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    with gunicorn(env, tmp_path / "gunicorn.log", workers=1) as server:
        yield server


def get_me(server, token: str):
    return server.request("GET", "/me", headers={"Authorization": f"Bearer {token}"})


def test_a_12_kib_token_is_verified_by_django(served, provider):
    token = provider.token({"groups": [f"group-{i:05d}" for i in range(640)]})
    assert 12 * 1024 <= len(token) <= 13 * 1024  # above gunicorn's default 8,190 bytes
    answer = get_me(served, token)
    assert answer.status == 200, answer.body[:300]
    assert json.loads(answer.body)["sub"] == "user-1"


def test_a_token_of_the_longest_accepted_length_reaches_django(served):
    answer = get_me(served, "x" * MAX_TOKEN_LENGTH)
    # Django's answer (a JSON 401 with the reason), not gunicorn's 431.
    assert answer.status == 401, answer.body[:300]
    assert json.loads(answer.body)["code"] == "malformed"


def test_a_header_above_the_limit_is_still_refused_by_gunicorn(served):
    answer = get_me(served, "x" * (MAX_TOKEN_LENGTH + 1))
    assert answer.status == 431
    assert b"Request Header Fields Too Large" in answer.body
    # Any other header line as long is refused the same way.
    other = served.request("GET", "/me", headers={"X-Padding": "y" * (MAX_TOKEN_LENGTH + 64)})
    assert other.status == 431
