from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "tests.core.audit_app"
    label = "audit_app"

    def probe_paths(self) -> tuple[str, ...]:
        """A third-party app contributes without subclassing axiomod's base config."""
        return ("/audit/ping",)
