"""One step of an elevation's audit trail: append-only, kept for the stage's retention even when
the execution record is deleted."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

AuditEventType = Literal[
    "requested",
    "notified",
    "approved",
    "denied",
    "granted",
    "grant_failed",
    "revoked",
    "revoke_failed",
]


@dataclass(frozen=True, kw_only=True)
class AuditEvent:
    guid: str
    type: AuditEventType
    at: datetime
    actor: str  # who did it: a person (the verified email, else the subject) or a component ("reconciler")
    detail: dict[str, Any] = field(default_factory=dict)
