"""DynamoDB stream: when an elevation's workflow waits at its grant step, grant the role."""

from typing import Any

from execution_api.infra.observability import logger
from execution_api.logic.grant_access import grant_new_waits


@logger.inject_lambda_context
def lambda_handler(event: dict, context: Any) -> dict:
    return {"granted": grant_new_waits(event.get("Records", []))}
