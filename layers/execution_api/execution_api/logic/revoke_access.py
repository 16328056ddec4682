"""Revoking what an elevation granted: on every end of the execution (``logic.sync_status``), when
the grant step fails, and in the reconciler's sweep.

Idempotent: a grant already revoked, or never recorded, is done; access already gone counts as
removed. Overlapping grants are counted (``dal.grants``): the access goes only when no other live
grant holds it, and if one was counted while it went, it is added back at once. The provider
(``logic.providers``) says when the access is gone (for Identity Center, once the deletion request
succeeded). A revoke that fails keeps the grant live, says why on the record and in the audit
(``revoke_failed``, which the stack alarms on), and raises, so that its caller retries; the sweep
retries it too.
"""

from __future__ import annotations

from typing import Any

from execution_api.dal import repositories
from execution_api.infra.aws_errors import AWS_FAILURES, failure_name
from execution_api.infra.timefmt import iso_millis
from execution_api.logic.providers import provider
from execution_api.models.audit import AuditEvent
from execution_api.models.domain import ElevationGrant, GrantStatus, utc_now


def revoke_access(guid: str, cause: str, actor: str) -> bool:
    """Revokes ``guid``'s grant, for ``cause`` (expiry, cancel, terminate, timeout, failure,
    sweep, ...); ``True`` if it was live until now."""
    ledger = repositories.grants()
    record = ledger.get(guid)
    if record is None or record.state == "revoked":
        return False
    grant = record.grant
    try:
        if not ledger.release(guid, grant):
            remove_access(grant.provider, grant.target, grant.principal, held_as=grant.principal)
    except AWS_FAILURES as error:
        _record_failure(guid, cause, actor, failure_name(error))
        raise
    now = utc_now()
    detail = {"cause": cause, **grant_detail(grant)}
    if not ledger.mark_revoked(guid, cause, AuditEvent(guid=guid, type="revoked", at=now, actor=actor, detail=detail)):
        return False  # another revoke of this grant ended it first
    status = GrantStatus(
        state="revoked",
        granted_at=iso_millis(record.granted_at),
        expires_at=iso_millis(record.expires_at),
        revoked_at=iso_millis(now),
        cause=cause,
    )
    repositories.executions().show_grant(guid, status)
    return True


def remove_access(provider_name: str, target: str, principal: str, held_as: str) -> bool:
    """Removes access no grant holds; if a grant was counted for it (as ``held_as``) while it was
    being removed, gives it back at once and returns ``False``."""
    access = provider(provider_name)
    access.remove(target, principal)
    if repositories.grants().holders(provider_name, target, held_as):
        access.add(target, principal)
        return False
    return True


def _record_failure(guid: str, cause: str, actor: str, reason: str) -> None:
    ledger = repositories.grants()
    ledger.mark_revoke_failed(guid, cause, reason)
    event = AuditEvent(
        guid=guid, type="revoke_failed", at=utc_now(), actor=actor, detail={"cause": cause, "error": reason}
    )
    repositories.audit().append(event)
    record = ledger.get(guid)
    if record is not None:
        status = GrantStatus(
            state="revoke_failed",
            granted_at=iso_millis(record.granted_at),
            expires_at=iso_millis(record.expires_at),
            cause=cause,
            revoke_error=reason,
        )
        repositories.executions().show_grant(guid, status)


def grant_detail(grant: ElevationGrant) -> dict[str, Any]:
    """What an audit event says of a grant: the role, what it gives and to whom."""
    detail: dict[str, Any] = {"role": grant.role, "target": grant.target, "principal": grant.principal}
    if grant.account is not None:
        detail["account"] = grant.account
    if grant.permission_set is not None:
        detail["permission_set"] = grant.permission_set
    return detail
