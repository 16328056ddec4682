"""EventBridge: "Step Functions Execution Status Change" → the execution record's terminal state."""

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

from execution_api.infra.observability import logger
from execution_api.logic.sync_status import ExecutionStatusChange, apply_status_change


class StatusChangeEvent(EventBridgeModel):
    detail: ExecutionStatusChange


@logger.inject_lambda_context
@event_parser(model=StatusChangeEvent)
def lambda_handler(event: StatusChangeEvent, context: Any) -> dict:
    updated = apply_status_change(event.detail)
    logger.info(
        "status change applied" if updated else "status change ignored",
        extra={"guid": event.detail.name, "status": event.detail.status},
    )
    return {"updated": updated is not None}
