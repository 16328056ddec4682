"""The execution record as a DynamoDB item, and back."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from execution_api.dal import keys
from execution_api.infra.timefmt import iso_millis
from execution_api.models.domain import DecisionPolicy, ElevationGrant, Execution, ExecutionState, GrantStatus

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def plain(value: dict[str, Any]) -> Any:
    """One attribute value (``{"S": ...}``, ...) as a Python value."""
    return _deserializer.deserialize(value)


def to_item(execution: Execution) -> dict[str, Any]:
    owner = execution.owner
    item: dict[str, Any] = {
        "pk": keys.execution_pk(execution.guid),
        "sk": keys.RECORD_SK,
        "guid": execution.guid,
        "workflow_id": execution.workflow_id,
        "workflow": execution.workflow,
        "agentflow_id": execution.agentflow_id,
        "state_machine_name": execution.state_machine_name,
        "owner": owner,
        "state": execution.state.value,
        "start_key": keys.start_key(execution.start_time, execution.guid),
        "start_time": iso_millis(execution.start_time),
        "created_on": execution.created_on,
        "updated_on": execution.updated_on,
        "is_public": execution.is_public,
        "input_json": json.dumps(execution.input),
        "owner_state": keys.owner_state(owner, execution.state.value),
        "owner_workflow": keys.owner_workflow(owner, execution.workflow),
        "cancel_mode": execution.cancel_mode,
    }
    if execution.state is ExecutionState.INPROGRESS:
        item["running_shard"] = keys.running_shard(execution.guid)
    if execution.owner_display:
        item["owner_display"] = execution.owner_display
    if execution.owner_email:
        item["owner_email"] = execution.owner_email
    if execution.decision:
        item["decision"] = {
            "approver_users": list(execution.decision.approver_users),
            "approver_groups": list(execution.decision.approver_groups),
            "required_approvals": execution.decision.required_approvals,
        }
    if execution.elevation:
        item["elevation"] = asdict(execution.elevation)
    if execution.session_id:
        item["session_id"] = execution.session_id
        item["owner_session"] = keys.owner_session(owner, execution.session_id)
    if execution.stop_time:
        item["stop_time"] = iso_millis(execution.stop_time)
    if execution.output is not None:
        item["output_json"] = json.dumps(execution.output)
    if execution.error is not None:
        item["error_json"] = json.dumps(execution.error)
    if execution.tags:
        item["tags"] = execution.tags
    if execution.retention_days is not None:
        item["retention_days"] = execution.retention_days
    return {name: _serializer.serialize(value) for name, value in item.items()}


def from_item(raw: dict[str, Any]) -> Execution:
    item = {name: plain(value) for name, value in raw.items()}
    return Execution(
        guid=item["guid"],
        workflow_id=item["workflow_id"],
        workflow=item["workflow"],
        agentflow_id=item["agentflow_id"],
        state_machine_name=item["state_machine_name"],
        owner=item["owner"],
        session_id=item.get("session_id"),
        state=ExecutionState(item["state"]),
        start_time=datetime.fromisoformat(item["start_time"]),
        stop_time=datetime.fromisoformat(item["stop_time"]) if item.get("stop_time") else None,
        created_on=int(item["created_on"]),
        updated_on=int(item["updated_on"]),
        is_public=bool(item.get("is_public", False)),
        input=json.loads(item["input_json"]) if "input_json" in item else None,
        output=json.loads(item["output_json"]) if "output_json" in item else None,
        error=json.loads(item["error_json"]) if "error_json" in item else None,
        owner_display=item.get("owner_display"),
        owner_email=item.get("owner_email"),
        decision=_decision(item.get("decision")),
        elevation=_elevation(item.get("elevation")),
        grant_status=GrantStatus(**item["grant_status"]) if "grant_status" in item else None,
        approved_by=tuple(item.get("approved_by", ())),
        cancel_mode=item.get("cancel_mode", "graceful"),
        tags=dict(item.get("tags", {})),
        retention_days=int(item["retention_days"]) if "retention_days" in item else None,
    )


def _decision(raw: dict[str, Any] | None) -> DecisionPolicy | None:
    if raw is None:
        return None
    return DecisionPolicy(
        approver_users=tuple(raw.get("approver_users", ())),
        approver_groups=tuple(raw.get("approver_groups", ())),
        required_approvals=int(raw.get("required_approvals", 1)),
    )


def _elevation(raw: dict[str, Any] | None) -> ElevationGrant | None:
    if raw is None:
        return None
    return ElevationGrant(**{**raw, "duration_seconds": int(raw["duration_seconds"])})
