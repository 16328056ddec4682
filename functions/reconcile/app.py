"""Scheduled: repair drift between execution records and Step Functions."""

from datetime import timedelta
from typing import Any

from execution_api.infra.observability import logger
from execution_api.infra.settings import get_settings
from execution_api.logic.reconcile import reconcile


@logger.inject_lambda_context
def lambda_handler(event: dict, context: Any) -> dict:
    outcomes = reconcile(timedelta(seconds=get_settings().reconcile_grace_seconds))
    logger.info("reconciled", extra={"outcomes": outcomes})
    return outcomes
