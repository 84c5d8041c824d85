"""Benchmark ``oidc``: a bearer-token request, axiomod (warm cache) vs mozilla-django-oidc.

Everything runs against one loopback OpenID provider, ``axiomod.testing.OidcProvider``
(discovery, a JWKS with an RSA and an EC key, userinfo), started in a child process of its
own: a real provider runs elsewhere, so its work must not share this process's GIL, and
the provider counts every request it gets, per path. One RS256 token (the provider's
default claims, ``aud`` the client id) is used throughout; neither side caches results
per token, so one token is as good as many.

Two parts, each with its variants taking turns call by call (:func:`interleave` with
``number`` 1: every round is one call of each variant, in a rotating order, so the
median and p99 across rounds are per-call percentiles, and 1 / mean is calls per
second on one thread; keep ``--number`` at 1):

1. Verification alone (``oidc.verify.*``), the function the issue's target is about
   (p99 < 1 ms on a warm cache, no network call):

   * ``axiomod``: ``axiomod_auth.verify_token(token)``, discovery and JWKS cached (the
     production function: algorithm allow-list, key from the cached key set, signature,
     ``iss``/``aud``/``exp``/``iat``/``nbf`` with leeway, the verification counter);
   * ``PyJWKClient``: what a service would write by hand with PyJWT, which axiomod uses
     underneath: ``jwt.PyJWKClient(jwks_uri)`` with its own default caching (the parsed
     key set kept 300 s) and ``get_signing_key_from_jwt``, then ``jwt.decode`` with the
     same checks (``RS256``, audience, issuer, leeway 30 s, the four required claims);
     the honest reference for local verification;
   * ``jwt.decode``: the same ``jwt.decode`` with the key already in hand: the floor
     (parsing, the RSA signature check and the claim checks, no key lookup at all).

2. A DRF request (``oidc.request.*``): a WSGI call loop on a prepared environ carrying
   ``Authorization: Bearer <token>`` (no middleware, Django's handler and URL resolver,
   DRF's ``APIView`` with the JSON renderer and ``IsAuthenticated``), against identical
   views of ``bench.oidc_urls`` that differ only in ``authentication_classes``:

   * ``open``: no authentication, ``AllowAny`` (the floor: the request without auth);
   * ``axiomod``: ``axiomod_auth.drf.BearerTokenAuthentication``, the default
     ``TokenUser`` (no database query);
   * ``axiomod + sync_user``: the same, then ``axiomod_auth.users.sync_user`` (one
     ``SELECT`` of the Django user), i.e. the same database work as the baseline;
   * ``mozilla``: ``mozilla_django_oidc.contrib.drf.OIDCAuthentication`` set up as its
     documentation says (``OIDCAuthenticationBackend`` in ``AUTHENTICATION_BACKENDS``,
     the ``OIDC_OP_*``/``OIDC_RP_*`` settings pointing at the same provider): the
     upstream library axiomod replaces, and the baseline. It does not verify the token
     itself: it calls the provider's userinfo endpoint with it (a new HTTP connection
     per request) and looks the user up by the e-mail that comes back (one ``SELECT``).

   The database is SQLite in a temporary directory (migrated, one user ``user-1`` with
   the token's e-mail, so both user lookups find the same row).

3. One document fetch (``oidc.fetch.*``), the JWKS from the loopback provider, what a
   process pays once per TTL:

   * ``urllib``: ``json.load(urllib.request.urlopen(jwks_uri, timeout=...))``, what
     PyJWKClient does (the baseline: a plain fetch with a per-read timeout only);
   * ``requests``: ``requests.get(jwks_uri, timeout=...).json()``: the library axiomod's
     fetch is built on, without the deadline (what the fetch costs before axiomod's part);
   * ``axiomod``: ``axiomod_auth.fetch.fetch_json``, which reads the body with ``read1``
     against a total deadline and turns every failure into ``ProviderUnavailable``.

Network calls: before the timed rounds, each variant runs alone for ``--check`` calls
(default 1000) with the provider's counters read before and after: provider requests per
1000 calls, per variant. The first verification of each local verifier runs on a cold
cache and its fetches are counted separately; the timed rounds' provider requests are
counted too, per path (only mozilla calls userinfo; nothing else should call at all).
Every request is checked to answer 200.

Options after ``--``: ``--request-rounds N`` (``--rounds`` sets both parts),
``--check N``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.harness import REPO_ROOT, Figure, Options, Timing, benchmark, interleave
from bench.harness import note as say
from bench.support import setup_django, wsgi_environ, wsgi_handler

TARGET_P99_SECONDS = 0.001
REQUIRED_CLAIMS = ["iss", "sub", "exp", "iat"]
LEEWAY = 30.0

# The provider's child process: prints its issuer and a token, then answers commands on
# stdin ("counts", "reset") with one JSON line each. Requests are counted per path, with
# the realm prefix removed ("/jwks", "/userinfo", "/.well-known/openid-configuration").
_PROVIDER_SCRIPT = """
import json, sys
from axiomod.testing.oidc_provider import OidcProvider
provider = OidcProvider().start()
print(json.dumps({"issuer": provider.issuer, "token": provider.token(lifetime=3600)}),
      flush=True)
for line in sys.stdin:
    if line.strip() == "reset":
        provider.reset_counts()
        print("{}", flush=True)
    else:
        counts = {k.removeprefix(provider.realm): v for k, v in provider.requests.items()}
        print(json.dumps(counts), flush=True)
provider.stop()
"""


class _Provider:
    """``axiomod.testing.OidcProvider`` in a child process, driven over stdin/stdout."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _PROVIDER_SCRIPT],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        hello = self._line()
        self.issuer: str = hello["issuer"]
        self.token: str = hello["token"]

    def _line(self) -> dict[str, Any]:
        line = self.process.stdout.readline()  # type: ignore[union-attr]
        if not line:
            raise RuntimeError(f"the OIDC provider process exited ({self.process.wait()})")
        return json.loads(line)

    def _ask(self, command: str) -> dict[str, Any]:
        self.process.stdin.write(command + "\n")  # type: ignore[union-attr]
        self.process.stdin.flush()  # type: ignore[union-attr]
        return self._line()

    def counts(self) -> Counter[str]:
        """Requests the provider got since the last :meth:`reset`, per path."""
        return Counter(self._ask("counts"))

    def reset(self) -> None:
        self._ask("reset")

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _caller(handler: Any, path: str, authorization: str) -> tuple[Callable[[], None], list[str]]:
    """A no-argument callable serving ``GET path`` with the header, and its non-200 list.

    Every answer is checked (one string comparison); the first must be 200.
    """
    base = wsgi_environ(path)
    base["HTTP_AUTHORIZATION"] = authorization
    failures: list[str] = []

    def start_response(status, headers, exc_info=None):
        if status != "200 OK":
            failures.append(status)

    def serve() -> None:
        body = handler(dict(base), start_response)
        for _ in body:
            pass
        body.close()

    serve()
    if failures:
        raise RuntimeError(f"GET {path} answered {failures[0]} in the benchmark's call loop")
    return serve, failures


def _mean(timing: Timing) -> float:
    return statistics.fmean(timing.per_call)


def _counted(
    provider: _Provider, variants: dict[str, Callable[[], object]], calls: int
) -> dict[str, dict[str, int]]:
    """Each variant alone for ``calls`` calls: the provider's requests per path."""
    counts: dict[str, dict[str, int]] = {}
    for label, variant in variants.items():
        provider.reset()
        for _ in range(calls):
            variant()
        counts[label] = dict(provider.counts())
    return counts


def _latency_figures(
    name: str,
    timings: dict[str, Timing],
    baseline: str,
    candidate: str,
    extra: dict[str, object],
) -> Iterator[Figure]:
    base, cand = timings[baseline], timings[candidate]
    yield Figure.from_timings(f"{name}.p50", base, cand, stat="median", extra=extra)
    yield Figure.from_timings(f"{name}.p99", base, cand, stat="p99", extra=extra)


def _per_second(
    name: str, timings: dict[str, Timing], baseline: str, candidate: str, unit_name: str
) -> Figure:
    base, cand = timings[baseline], timings[candidate]
    return Figure(
        name,
        1 / _mean(base),
        1 / _mean(cand),
        "1/s",
        baseline_name=f"{baseline} {unit_name}/s (one thread)",
        candidate_name=f"{candidate} {unit_name}/s (one thread)",
        extra={
            "stat": "1 / mean seconds per call",
            "calls": cand.rounds,
            "baseline_mean": _mean(base),
            "candidate_mean": _mean(cand),
        },
    )


# --------------------------------------------------------------------------- 1. verification


def _verification(
    options: Options, provider: _Provider, check: int, counts: dict[str, Any]
) -> Iterator[Figure]:
    import jwt

    from axiomod.testing.oidc_provider import CLIENT_ID, JWKS_PATH
    from axiomod_auth import oidc
    from axiomod_auth import verify_token as axiomod_verify

    number, rounds = options.sizes(number=1, rounds=20_000, quick_number=1, quick_rounds=300)
    token, issuer = provider.token, provider.issuer
    checks = {
        "algorithms": ["RS256"],
        "audience": CLIENT_ID,
        "issuer": issuer,
        "leeway": LEEWAY,
        "options": {"require": REQUIRED_CLAIMS},
    }

    # Cold caches: what the first verification of each local verifier fetches.
    oidc.reset(forget_shared=True)
    client = jwt.PyJWKClient(issuer + JWKS_PATH)
    cold: dict[str, dict[str, object]] = {}
    for label, first in (
        ("axiomod", lambda: axiomod_verify(token)),
        ("PyJWKClient", lambda: client.get_signing_key_from_jwt(token)),
    ):
        provider.reset()
        started = time.perf_counter()
        first()
        cold[label] = {"seconds": time.perf_counter() - started, "requests": provider.counts()}
    key = client.get_signing_key_from_jwt(token).key

    def pyjwk_client() -> dict[str, Any]:
        return jwt.decode(token, client.get_signing_key_from_jwt(token).key, **checks)

    variants: dict[str, Callable[[], object]] = {
        "axiomod": lambda: axiomod_verify(token),
        "PyJWKClient": pyjwk_client,
        "jwt.decode": lambda: jwt.decode(token, key, **checks),
    }
    claims = [variant() for variant in variants.values()]
    if any(c != claims[0] for c in claims):
        raise RuntimeError(f"the verifiers disagree on the claims: {claims}")
    counts["verify_per_calls"] = check
    counts["verify"] = _counted(provider, variants, check)
    counts["verify_cold_start"] = cold

    say(f"oidc: verification, {rounds} rounds x {number} call per variant")
    provider.reset()
    timings = interleave(variants, number=number, rounds=rounds)
    counts["verify_timed"] = {
        "calls_per_variant": (rounds + 1) * number,
        "provider_requests": dict(provider.counts()),
    }

    extra = {
        "target_p99_seconds": TARGET_P99_SECONDS,
        "provider_requests_per_1000": {
            label: 1000 * sum(c.values()) / check for label, c in counts["verify"].items()
        },
        "timed_provider_requests": counts["verify_timed"]["provider_requests"],
        "cold_start": cold,
    }
    yield from _latency_figures("oidc.verify", timings, "PyJWKClient", "axiomod", extra)
    yield _per_second("oidc.verify.per_second", timings, "PyJWKClient", "axiomod", "verifications")
    yield Figure.from_timings(
        "oidc.verify.vs_decode_floor", timings["jwt.decode"], timings["axiomod"]
    )


# --------------------------------------------------------------------------- 3. one fetch


def _fetches(options: Options, provider: _Provider) -> Iterator[Figure]:
    import urllib.request

    from axiomod.testing.oidc_provider import JWKS_PATH
    from axiomod_auth.fetch import fetch_json

    number, rounds = options.sizes(number=1, rounds=2_000, quick_number=1, quick_rounds=50)
    url = provider.issuer + JWKS_PATH

    def plain() -> dict[str, Any]:
        with urllib.request.urlopen(url, timeout=5.0) as answer:
            return json.load(answer)

    import requests

    variants: dict[str, Callable[[], object]] = {
        "urllib": plain,
        "requests": lambda: requests.get(url, timeout=5.0).json(),
        "axiomod": lambda: fetch_json(url, 5.0),
    }
    if plain() != fetch_json(url, 5.0):
        raise RuntimeError("the two fetches disagree on the JWKS")
    say(f"oidc: one JWKS fetch, {rounds} rounds x {number} call per variant")
    timings = interleave(variants, number=number, rounds=rounds)
    yield from _latency_figures("oidc.fetch", timings, "urllib", "axiomod", {})
    yield from _latency_figures("oidc.fetch.vs_requests", timings, "requests", "axiomod", {})


# --------------------------------------------------------------------------- 2. DRF requests


def _requests(
    options: Options,
    provider: _Provider,
    rounds: int,
    check: int,
    counts: dict[str, Any],
) -> Iterator[Figure]:
    handler = wsgi_handler([])
    authorization = f"Bearer {provider.token}"
    served: dict[str, tuple[Callable[[], None], list[str]]] = {
        label: _caller(handler, path, authorization)
        for label, path in (
            ("open", "/open"),
            ("axiomod", "/axiomod"),
            ("axiomod + sync_user", "/axiomod-sync-user"),
            ("mozilla", "/mozilla"),
        )
    }
    variants = {label: call for label, (call, _) in served.items()}
    counts["request_per_calls"] = check
    counts["request"] = _counted(provider, variants, check)

    say(f"oidc: DRF requests, {rounds} rounds x 1 request per variant")
    provider.reset()
    timings = interleave(variants, number=1, rounds=rounds)
    timed = dict(provider.counts())
    failed = {label: f for label, (_, f) in served.items() if f}
    if failed:
        raise RuntimeError(f"requests that did not answer 200: {failed}")
    calls = rounds + 1  # the harness's warm-up round included
    if timed.get("/userinfo", 0) != calls or sum(timed.values()) != calls:
        say(f"oidc: unexpected provider requests in the timed rounds: {timed}")
    counts["request_timed"] = {"requests_per_variant": calls, "provider_requests": timed}

    per_1000 = {label: 1000 * sum(c.values()) / check for label, c in counts["request"].items()}
    extra: dict[str, object] = {
        "provider_requests_per_1000": per_1000,
        "timed_provider_requests": timed,
        "open_median": timings["open"].median,
    }
    yield from _latency_figures("oidc.request", timings, "mozilla", "axiomod", extra)
    yield _per_second("oidc.request.per_second", timings, "mozilla", "axiomod", "requests")
    yield from _latency_figures(
        "oidc.request.sync_user", timings, "mozilla", "axiomod + sync_user", extra
    )

    def added(label: str) -> float:
        """Median over rounds of (variant - open) in the same round."""
        pairs = zip(timings[label].per_call, timings["open"].per_call, strict=True)
        return statistics.median(v - o for v, o in pairs)

    yield Figure(
        "oidc.request.added",
        added("mozilla"),
        added("axiomod"),
        "s/request",
        baseline_name="mozilla-django-oidc OIDCAuthentication added to an open DRF view",
        candidate_name="axiomod BearerTokenAuthentication added to an open DRF view",
        extra={
            "stat": "median of per-round differences",
            "open_median": timings["open"].median,
            "axiomod_sync_user_added": added("axiomod + sync_user"),
        },
    )
    yield Figure(
        "oidc.request.provider_requests_per_1000",
        per_1000["mozilla"],
        per_1000["axiomod"],
        "calls/1000 requests",
        baseline_name="mozilla-django-oidc: provider requests per 1000 requests",
        candidate_name="axiomod (warm cache): provider requests per 1000 requests",
        extra={
            "per_1000": per_1000,
            "counted_requests_per_variant": check,
            "by_path": counts["request"],
            "verify_per_1000": {
                label: 1000 * sum(c.values()) / counts["verify_per_calls"]
                for label, c in counts.get("verify", {}).items()
            },
            "verify_cold_start": counts.get("verify_cold_start"),
            "timed_rounds": counts["request_timed"],
        },
    )


@benchmark("oidc")
def run(options: Options) -> Iterator[Figure]:
    """Bearer-token request and verification: axiomod (warm cache) vs mozilla-django-oidc, PyJWT."""
    parser = argparse.ArgumentParser(prog="bench oidc")
    parser.add_argument("--request-rounds", type=int, default=None)
    parser.add_argument("--check", type=int, default=None)
    args = parser.parse_args(list(options.extra))
    check = args.check or (100 if options.quick else 1000)
    request_rounds = args.request_rounds or options.rounds or (60 if options.quick else 4000)

    provider = _Provider()
    workdir = Path(tempfile.mkdtemp(prefix="axiomod-bench-oidc-"))
    overrides = None
    try:
        setup_django(
            DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}",
            AXIOMOD_BENCH_METRICS="none",
            OTEL_TRACES_EXPORTER="none",
        )
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from django.test import override_settings

        from axiomod.testing.oidc_provider import CLIENT_ID, CLIENT_SECRET, JWKS_PATH

        issuer = provider.issuer
        overrides = override_settings(
            ROOT_URLCONF="bench.oidc_urls",
            AXIOMOD={
                **settings.AXIOMOD,
                "oidc": {"issuer": issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
            },
            # mozilla-django-oidc as its documentation sets it up, on the same provider.
            AUTHENTICATION_BACKENDS=["mozilla_django_oidc.auth.OIDCAuthenticationBackend"],
            OIDC_RP_CLIENT_ID=CLIENT_ID,
            OIDC_RP_CLIENT_SECRET=CLIENT_SECRET,
            OIDC_RP_SIGN_ALGO="RS256",
            OIDC_OP_AUTHORIZATION_ENDPOINT=f"{issuer}/auth",
            OIDC_OP_TOKEN_ENDPOINT=f"{issuer}/token",
            OIDC_OP_USER_ENDPOINT=f"{issuer}/userinfo",
            OIDC_OP_JWKS_ENDPOINT=issuer + JWKS_PATH,
        )
        overrides.enable()
        call_command("migrate", verbosity=0, interactive=False)
        get_user_model().objects.create(username="user-1", email="ada@example.com")

        counts: dict[str, Any] = {}
        yield from _verification(options, provider, check, counts)
        yield from _requests(options, provider, request_rounds, check, counts)
        yield from _fetches(options, provider)
    finally:
        if overrides is not None:
            overrides.disable()
        provider.stop()
        shutil.rmtree(workdir, ignore_errors=True)
