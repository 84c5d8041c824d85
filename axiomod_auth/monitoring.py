"""OIDC on the components dashboard: provider fetches, failures, the age of what is served.

From :mod:`axiomod_auth.metrics`: ``oidc_refresh_total{kind,status}`` (``kind`` discovery
or jwks, ``status`` ok or error), ``oidc_cache_age_seconds{kind}`` (age of the document
served, updated when it is read), ``oidc_cache_fetched_timestamp_seconds{kind}`` and
``oidc_token_verifications_total{result}`` (``ok`` or the rejection reason).
"""

from __future__ import annotations

from collections.abc import Iterator

from axiomod.observability import (
    RATE,
    Alert,
    Monitoring,
    Panel,
    Parameter,
    Params,
    Query,
    Row,
    RuleGroup,
    selector,
)

ERROR = 'status="error"'
OK = 'status="ok"'
REJECTED = 'result!="ok"'

PARAMETERS = (
    Parameter(
        "oidc_refresh_failures",
        2,
        "Failed fetches of a provider document (per instance and kind, over 15 minutes, "
        "with none succeeding) above which OidcProviderUnavailable fires.",
        min=0,
    ),
    Parameter(
        "oidc_stale_seconds",
        14400,
        "Age (seconds) of the discovery document or JWKS being served above which "
        "OidcServingStaleKeys fires. Keep it above AXIOMOD oidc.discovery_ttl and "
        "jwks_ttl (3600) and well below oidc.max_stale (86400), when tokens are refused.",
        min=1,
    ),
)


def rows(params: Params) -> Iterator[Row]:
    yield Row(
        "OIDC",
        (
            Panel(
                "Provider fetches",
                (
                    Query(
                        f"sum by (kind, status) (increase(oidc_refresh_total{selector()}{RATE}))",
                        "{{kind}} {{status}}",
                    ),
                ),
                description="Fetches of the discovery document and the JWKS: one per "
                "TTL (an hour by default), more when tokens carry unknown key ids.",
                quiet="The first token verified after start or after a TTL runs out.",
            ),
            Panel(
                "Fetch failures",
                (
                    Query(
                        f"sum by (kind) (increase(oidc_refresh_total{selector(ERROR)}{RATE}))",
                        "{{kind}}",
                    ),
                ),
                quiet="The provider unreachable, slow (oidc.http_timeout) or answering an error.",
            ),
            Panel(
                "Age of the documents served",
                (
                    Query(
                        f"max by (kind) (oidc_cache_age_seconds{selector()})",
                        "{{kind}} served",
                    ),
                    Query(
                        f"time() - max by (kind) "
                        f"(oidc_cache_fetched_timestamp_seconds{selector()})",
                        "{{kind}} since the last fetch",
                    ),
                ),
                unit="s",
                description="Age of the discovery document and JWKS being served "
                "(updated when one is read). Past the TTL it is stale: the provider "
                f"failed. OidcServingStaleKeys fires above {params['oidc_stale_seconds']} s.",
                quiet="A bearer token verified (the caches are filled on first use).",
            ),
            Panel(
                "Token verifications",
                (
                    Query(
                        f"sum by (result) (rate(oidc_token_verifications_total{selector()}{RATE}))",
                        "{{result}}",
                    ),
                ),
                unit="ops",
                quiet="A request with a bearer token.",
            ),
            Panel(
                "Tokens rejected",
                (
                    Query(
                        f"sum by (result) "
                        f"(rate(oidc_token_verifications_total{selector(REJECTED)}{RATE}))",
                        "{{result}}",
                    ),
                ),
                unit="ops",
                quiet="A bearer token refused (expired, wrong audience, bad signature).",
            ),
        ),
    )


def rules(params: Params) -> Iterator[RuleGroup]:
    by = "job, instance, kind"
    yield RuleGroup(
        "axiomod-auth",
        (
            Alert(
                "OidcProviderUnavailable",
                f"sum by ({by}) (increase(oidc_refresh_total{{{ERROR}}}[15m])) "
                f"> {params['oidc_refresh_failures']}\n"
                f"unless on ({by}) sum by ({by}) (increase(oidc_refresh_total{{{OK}}}[15m])) > 0",
                summary="The OIDC provider fails {{ $labels.instance }}'s {{ $labels.kind }} "
                "fetches",
                description="{{ $labels.instance }} ({{ $labels.job }}) failed to fetch the "
                "OIDC {{ $labels.kind }} {{ $value | humanize }} times in 15 minutes and "
                "fetched it successfully none: tokens are verified with the cached copy "
                "until it is older than oidc.max_stale.",
                runbook="oidc-provider-unavailable",
                for_="5m",
                severity="ticket",
            ),
            Alert(
                "OidcServingStaleKeys",
                f"max by ({by}) (oidc_cache_age_seconds) > {params['oidc_stale_seconds']}",
                summary="{{ $labels.instance }} serves an OIDC {{ $labels.kind }} "
                "{{ $value | humanizeDuration }} old",
                description="The OIDC {{ $labels.kind }} that {{ $labels.instance }} "
                "({{ $labels.job }}) verifies tokens with was fetched "
                "{{ $value | humanizeDuration }} ago: the provider has not answered since. "
                "Once it is older than oidc.max_stale every bearer token is refused.",
                runbook="oidc-serving-stale-keys",
                for_="5m",
                severity="page",
            ),
        ),
    )


AXIOMOD_MONITORING = Monitoring("OIDC", parameters=PARAMETERS, rows=rows, rules=rules)
