"""The execution record as a DynamoDB item, and back."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from execution_api.dal import keys
from execution_api.infra.timefmt import iso_millis
from execution_api.models.domain import Execution, ExecutionState

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
    }
    if execution.state is ExecutionState.INPROGRESS:
        item["running_shard"] = keys.running_shard(execution.guid)
    if execution.approvers:
        item["approvers"] = execution.approvers
        item["required_approvals"] = execution.required_approvals
    if execution.session_id:
        item["session_id"] = execution.session_id
        item["owner_session"] = keys.owner_session(owner, execution.session_id)
    if execution.stop_time:
        item["stop_time"] = iso_millis(execution.stop_time)
    if execution.output is not None:
        item["output_json"] = json.dumps(execution.output)
    if execution.error is not None:
        item["error_json"] = json.dumps(execution.error)
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
        approvers=list(item.get("approvers", [])),
        required_approvals=int(item.get("required_approvals", 1)),
    )
