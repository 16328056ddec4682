"""The audit trail: ``AUDIT#<guid>`` items, one per event, written once (a condition refuses any
overwrite) and never updated; ``expires_at`` (TTL) ends them after the stage's retention. Their key
is not the record's, so deleting a record leaves its audit. Each event is also logged as one JSON
line (``{"audit": {...}}``) for a SIEM to collect from CloudWatch Logs."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from execution_api.dal import keys
from execution_api.infra.clients import dynamodb_client
from execution_api.infra.observability import logger
from execution_api.infra.timefmt import iso_millis
from execution_api.models.audit import AuditEvent


def audit_item(event: AuditEvent, retention_days: int) -> dict[str, Any]:
    return {
        **keys.audit_key(event.guid, f"{iso_millis(event.at)}#{uuid.uuid4().hex[:12]}"),
        "guid": {"S": event.guid},
        "type": {"S": event.type},
        "at": {"S": iso_millis(event.at)},
        "actor": {"S": event.actor},
        "detail_json": {"S": json.dumps(event.detail, sort_keys=True)},
        "expires_at": {"N": str(int((event.at + timedelta(days=retention_days)).timestamp()))},
    }


def log_audit_event(event: AuditEvent) -> None:
    """The documented shape a SIEM reads: ``audit.{guid, type, at, actor, detail}``."""
    logger.info(
        f"audit {event.type}",
        extra={
            "audit": {
                "guid": event.guid,
                "type": event.type,
                "at": iso_millis(event.at),
                "actor": event.actor,
                "detail": event.detail,
            }
        },
    )


class AuditTrail:
    def __init__(self, table_name: str, retention_days: int) -> None:
        self.table_name = table_name
        self.retention_days = retention_days

    @property
    def _client(self) -> Any:
        return dynamodb_client()

    def append(self, event: AuditEvent) -> None:
        self._client.put_item(
            TableName=self.table_name,
            Item=audit_item(event, self.retention_days),
            ConditionExpression="attribute_not_exists(pk)",
        )
        log_audit_event(event)

    def events(self, guid: str) -> list[AuditEvent]:
        """Every event of ``guid``'s trail, oldest first."""
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": keys.audit_key(guid, "-")["pk"]},
            "ConsistentRead": True,
        }
        found: list[AuditEvent] = []
        while True:
            response = self._client.query(**request)
            found.extend(_event(item) for item in response["Items"])
            if "LastEvaluatedKey" not in response:
                return found
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _event(item: dict[str, Any]) -> AuditEvent:
    return AuditEvent(
        guid=item["guid"]["S"],
        type=item["type"]["S"],
        at=datetime.fromisoformat(item["at"]["S"]),
        actor=item["actor"]["S"],
        detail=json.loads(item["detail_json"]["S"]),
    )
