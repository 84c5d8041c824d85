"""The app's section: declared here, found by axiomod.conf.registry from INSTALLED_APPS."""

from __future__ import annotations

import dataclasses
from typing import Literal

from axiomod.conf import Section, setting


@dataclasses.dataclass(frozen=True)
class AuditSettings(Section):
    """Where audit records go and for how long they are kept."""

    title = "Audit trail"
    app = "tests.core.audit_app"
    key = "audit"

    retention_days: int = setting(30, min=1, doc="Days an audit record is kept.")
    sink: Literal["log", "table"] = setting("log", doc="Where records are written.")


AXIOMOD_SECTIONS = (AuditSettings,)
