"""``manage.py axiomod_oidc show|refresh``: what is cached, and refetch it now.

``refresh`` fetches the discovery document and JWKS and stores them in the shared
Django cache, where every worker picks them up when its own copy expires (or at once,
for a token signed with a key it does not know). Exit status 1 when the provider fails;
the previous copies stay in use.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from axiomod_auth import oidc as oidc_provider
from axiomod_auth.errors import ProviderUnavailable


class Command(BaseCommand):
    help = "Show or refresh the cached OIDC discovery document and JWKS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["show", "refresh"])
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print JSON.")

    def handle(self, *args: Any, action: str, as_json: bool = False, **options: Any) -> None:
        oidc = oidc_provider.provider()
        if action == "refresh":
            try:
                oidc.refresh()
            except ProviderUnavailable as exc:
                raise CommandError(
                    f"refresh failed, the previous copies stay in use: {exc}"
                ) from exc
        else:
            # `show` in a fresh process: what the shared cache holds, without fetching.
            for document in (oidc.discovery, oidc.jwks):
                document.adopt_shared()
        status = oidc.status()
        if as_json:
            self.stdout.write(json.dumps(status, indent=2, default=str))
            return
        if action == "refresh":
            self.stdout.write(self.style.SUCCESS("Refreshed."))
        self.stdout.write(f"issuer: {status['issuer']}")
        for kind in ("discovery", "jwks"):
            self.stdout.write(f"{kind}: {_line(status[kind])}")


def _line(described: dict[str, Any]) -> str:
    if not described["cached"]:
        error = described.get("last_error")
        return "not cached" + (f" (last error: {error})" if error else "")
    fetched = datetime.fromtimestamp(described["fetched_at"], UTC).isoformat(timespec="seconds")
    age, ttl = described["age_seconds"], described["ttl_seconds"]
    line = f"{described['url']} fetched {fetched} ({age:.0f} s ago, ttl {ttl:.0f} s)"
    if "kids" in described:
        line += f", keys {described['kids']}"
    if described.get("last_error"):
        line += f", last refresh failed: {described['last_error']}"
    return line
