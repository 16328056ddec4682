"""Scheduled: repair drift between execution records and Step Functions."""

from datetime import timedelta
from typing import Any

from execution_api.observability import logger
from execution_api.reconciler import reconcile
from execution_api.settings import get_settings


@logger.inject_lambda_context
def lambda_handler(event: dict, context: Any) -> dict:
    outcomes = reconcile(timedelta(seconds=get_settings().reconcile_grace_seconds))
    logger.info("reconciled", extra={"outcomes": outcomes})
    return outcomes
