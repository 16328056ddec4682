"""DynamoDB stream: when a workflow starts waiting at a decision step, send the links."""

from typing import Any

from execution_api.decisions import DECISION_STEPS, announce
from execution_api.observability import logger
from execution_api.repository import from_item


def _new_decision_wait(change: dict[str, Any]) -> str | None:
    """The step, if this change is a record that began a decision wait (a new task token)."""
    new = change.get("NewImage") or {}
    old = change.get("OldImage") or {}
    step = new.get("wait_step", {}).get("S")
    if new.get("sk", {}).get("S") != "RECORD" or step not in DECISION_STEPS:
        return None
    return step if new.get("wait_token") != old.get("wait_token") else None


@logger.inject_lambda_context
def lambda_handler(event: dict, context: Any) -> dict:
    announced = 0
    for record in event.get("Records", []):
        change = record.get("dynamodb", {})
        step = _new_decision_wait(change)
        if step:
            announced += announce(from_item(change["NewImage"]), step)
    return {"announced": announced}
