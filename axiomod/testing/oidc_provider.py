"""A small OpenID provider served over real HTTP on loopback, for tests.

Serves discovery, a JWKS with real RSA and EC keys, an authorization endpoint (which
redirects straight back with a code, as a provider does once the user has logged in),
a token endpoint and userinfo. It can rotate keys, go down (connection refused),
answer 503 or garbage, answer slowly, break off or stall or trickle a body, send a body
that does not decode, and counts every request per path.

Needs PyJWT and cryptography (``pip install "axiomod[auth]"``).
"""

from __future__ import annotations

import json
import secrets
import select
import socket
import threading
import time
from collections import Counter
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from axiomod.testing.ports import free_port

__all__ = [
    "CLIENT_ID",
    "CLIENT_SECRET",
    "DISCOVERY_PATH",
    "JWKS_PATH",
    "MODES",
    "OidcProvider",
    "SigningKey",
]

CLIENT_ID = "invoices-api"
CLIENT_SECRET = "s3cret"

DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/jwks"


#: How the provider answers: ``ok``; ``error`` (503); ``garbage`` (HTML); ``slow`` (the
#: answer after ``slow_seconds``); ``truncated`` (200, ``Content-Length: 4000``, 11 bytes,
#: close); ``stalled`` (the same 11 bytes, then nothing for ``slow_seconds``); ``trickle``
#: (the right document, one byte every ``trickle_interval``); ``bad_encoding``
#: (``Content-Encoding: gzip`` on a body that is not gzip); ``odd_jwks`` (a JWKS whose
#: ``kid`` values are lists).
MODES = (
    "ok",
    "error",
    "garbage",
    "slow",
    "truncated",
    "stalled",
    "trickle",
    "bad_encoding",
    "odd_jwks",
)


class SigningKey:
    def __init__(self, kid: str, algorithm: str) -> None:
        self.kid, self.algorithm = kid, algorithm
        if algorithm.startswith("ES"):
            self.private = ec.generate_private_key(ec.SECP256R1())
            to_jwk = jwt.algorithms.ECAlgorithm.to_jwk
        else:
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            to_jwk = jwt.algorithms.RSAAlgorithm.to_jwk
        self.public_jwk = json.loads(to_jwk(self.private.public_key()))
        self.public_jwk.update(kid=kid, use="sig", alg=algorithm)


class OidcProvider:
    """``start()`` it; ``issuer`` is its URL; ``mode`` is one of :data:`MODES`."""

    def __init__(self, *, realm: str = "/realms/axiomod") -> None:
        self.realm = realm
        self.keys = [SigningKey("rsa-1", "RS256"), SigningKey("ec-1", "ES256")]
        self.mode = "ok"
        self.slow_seconds = 2.0
        self.trickle_interval = 0.05
        self.requests: Counter[str] = Counter()
        self.codes: dict[str, dict[str, Any]] = {}
        self.userinfo_claims: dict[str, Any] = {}
        self.issuer_override: str | None = None
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = free_port()

    # -- lifecycle --------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.realm}"

    def start(self) -> OidcProvider:
        provider = self

        class Handler(_Handler):
            owner = provider

        self._server = _QuietServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        # shutdown() waits for the serving loop's next poll: 0.5 s by default, per test.
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Close the port: connections are refused until :meth:`start`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def count(self, path: str) -> int:
        return self.requests[self.realm + path if not path.startswith(self.realm) else path]

    def reset_counts(self) -> None:
        self.requests.clear()

    def settle(self, timeout: float = 5.0) -> None:
        """Wait until every request already sent to the provider has been counted.

        A client that gave up (a test of timeouts) leaves its request behind; on a busy
        machine the server reads it late, and without this it would be counted in the
        next test. A closed connection reads as ready until its handler ends, so a slow
        answer in hand is waited for (up to ``timeout``).
        """
        deadline = time.monotonic() + timeout
        quiet = 0
        while self._server is not None and quiet < 2 and time.monotonic() < deadline:
            quiet = 0 if self._server.unread() else quiet + 1
            time.sleep(0.02)

    # -- keys and tokens --------------------------------------------------------------

    def rotate(self, *, keep_old: bool = False) -> SigningKey:
        """Publish a new RSA key (first in the set) and, unless ``keep_old``, drop the others."""
        new = SigningKey(f"rsa-{secrets.token_hex(4)}", "RS256")
        with self._lock:
            self.keys = [new, *self.keys] if keep_old else [new]
        return new

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.public_jwk for key in self.keys]}

    def token(
        self,
        claims: Mapping[str, Any] | None = None,
        *,
        key: SigningKey | None = None,
        kid: str | None = None,
        headers: Mapping[str, Any] | None = None,
        lifetime: float = 300,
    ) -> str:
        """A token signed by ``key`` (default the first published key)."""
        key = key or self.keys[0]
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "sub": "user-1",
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + int(lifetime),
            "email": "ada@example.com",
            "scope": "openid email invoices:read",
        }
        payload.update(claims or {})
        payload = {k: v for k, v in payload.items() if v is not None}
        header = {"kid": kid if kid is not None else key.kid, **(headers or {})}
        return jwt.encode(payload, key.private, algorithm=key.algorithm, headers=header)

    def discovery(self) -> dict[str, Any]:
        base = self.issuer
        return {
            "issuer": self.issuer_override or base,
            "authorization_endpoint": f"{base}/auth",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}{JWKS_PATH}",
            "end_session_endpoint": f"{base}/logout",
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        }


class _QuietServer(ThreadingHTTPServer):
    """Remembers its open connections, so that :meth:`OidcProvider.settle` can see unread ones."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections: set[socket.socket] = set()

    def process_request(self, request: Any, client_address: Any) -> None:
        self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        self.connections.discard(request)
        super().shutdown_request(request)

    def unread(self) -> bool:
        """A connection waits to be accepted, or an open one holds bytes not yet read."""
        waiting = [self.socket, *list(self.connections)]
        try:
            return bool(select.select(waiting, [], [], 0)[0])
        except (OSError, ValueError):  # a connection closed while we looked
            return True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out on a slow answer close the socket: not a failure


class _Handler(BaseHTTPRequestHandler):
    owner: OidcProvider
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # quiet test output
        pass

    def parse_request(self) -> bool:
        # Counted as soon as the request line is parsed, before any mode's delay.
        parsed = super().parse_request()
        if parsed:
            self.owner.requests[urlsplit(self.path).path] += 1
        return parsed

    def _send(
        self, status: int, body: bytes, content_type: str = "application/json", **headers: str
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, document: Any, status: int = 200) -> None:
        if self.owner.mode == "trickle":
            self._trickle(json.dumps(document).encode())
        else:
            self._send(status, json.dumps(document).encode())

    def _trickle(self, body: bytes) -> None:
        """The whole answer, a byte at a time: no single read ever waits long."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        try:
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(self.owner.trickle_interval)
        except OSError:
            pass  # the client gave up: what a deadline is for

    def _faulty(self) -> bool:
        mode = self.owner.mode
        if mode == "slow":
            time.sleep(self.owner.slow_seconds)
        elif mode in ("truncated", "stalled"):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "4000")
            self.end_headers()
            self.wfile.write(b'{"issuer": ')
            self.wfile.flush()
            if mode == "stalled":
                time.sleep(self.owner.slow_seconds)
            self.close_connection = True
            return True
        elif mode == "bad_encoding":
            self._send(200, b"this is not gzip at all", Content_Encoding="gzip")
            return True
        elif mode == "error":
            self._send(503, b'{"error": "temporarily_unavailable"}')
            return True
        elif mode == "garbage":
            self._send(200, b"<html>not json</html>", "text/html")
            return True
        return False

    def do_GET(self) -> None:
        owner = self.owner
        url = urlsplit(self.path)
        if self._faulty():
            return
        path = url.path.removeprefix(owner.realm)
        if path == DISCOVERY_PATH:
            self._json(owner.discovery())
        elif path == JWKS_PATH and owner.mode == "odd_jwks":
            keys = [{**key, "kid": [key["kid"]]} for key in owner.jwks()["keys"]]
            self._json({"keys": keys})
        elif path == JWKS_PATH:
            self._json(owner.jwks())
        elif path == "/auth":
            self._authorize(parse_qs(url.query))
        elif path == "/userinfo":
            self._userinfo()
        else:
            self._send(404, b'{"error": "not found"}')

    def do_POST(self) -> None:
        owner = self.owner
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode())
        if self._faulty():
            return
        if url.path.removeprefix(owner.realm) == "/token":
            self._token({k: v[0] for k, v in form.items()})
        else:
            self._send(404, b'{"error": "not found"}')

    def _authorize(self, query: dict[str, list[str]]) -> None:
        """The user logged in: redirect back with a one-time code bound to the nonce."""
        one = {k: v[0] for k, v in query.items()}
        if one.get("client_id") != CLIENT_ID or one.get("response_type") != "code":
            self._json({"error": "invalid_request"}, 400)
            return
        code = secrets.token_urlsafe(16)
        self.owner.codes[code] = {"nonce": one.get("nonce"), "redirect_uri": one["redirect_uri"]}
        location = f"{one['redirect_uri']}?{urlencode({'code': code, 'state': one['state']})}"
        self._send(302, b"", "text/plain", Location=location)

    def _token(self, form: dict[str, str]) -> None:
        owner = self.owner
        grant = owner.codes.pop(form.get("code", ""), None)
        if (
            grant is None
            or form.get("client_id") != CLIENT_ID
            or form.get("client_secret") != CLIENT_SECRET
            or form.get("redirect_uri") != grant["redirect_uri"]
        ):
            self._json({"error": "invalid_grant"}, 400)
            return
        id_token = owner.token({"nonce": grant["nonce"]})
        access_token = owner.token({"aud": "account"})
        self._json(
            {
                "access_token": access_token,
                "id_token": id_token,
                "token_type": "Bearer",
                "expires_in": 300,
            }
        )

    def _userinfo(self) -> None:
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            self._send(401, b'{"error": "invalid_token"}')
            return
        claims = jwt.decode(auth[7:], options={"verify_signature": False})
        extra = self.owner.userinfo_claims
        self._json({"sub": claims["sub"], "email": claims.get("email"), **extra})
