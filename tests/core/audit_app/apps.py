from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "tests.core.audit_app"
    label = "audit_app"
