"""DynamoDB stream: when a workflow starts waiting at a decision step, send the links."""

from typing import Any

from execution_api.infra.observability import logger
from execution_api.logic.announce_decision import announce_new_decision_waits


@logger.inject_lambda_context
def lambda_handler(event: dict, context: Any) -> dict:
    return {"announced": announce_new_decision_waits(event.get("Records", []))}
