"""``GET /executions/{id}/audit``: an elevation's audit trail, for admins; it outlives the
execution's record."""

from __future__ import annotations

from execution_api.dal import repositories
from execution_api.infra.timefmt import iso_millis
from execution_api.models.caller import Caller
from execution_api.models.errors import Forbidden
from execution_api.models.ids import guid_from_id
from execution_api.models.responses import AuditEntry, AuditTrailResponse


def read_audit(caller: Caller, execution_id: str) -> AuditTrailResponse:
    if not caller.is_admin:
        raise Forbidden("only admins read audit trails")
    guid = guid_from_id(execution_id)
    events = repositories.audit().events(guid)
    return AuditTrailResponse(
        guid=guid,
        events=[
            AuditEntry(type=event.type, at=iso_millis(event.at), actor=event.actor, detail=event.detail)
            for event in events
        ],
    )
