"""When a workflow starts waiting at a decision step: record who must decide, and send each of
them their links (the table's stream triggers this)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from execution_api.dal import repositories
from execution_api.dal.codec import from_item
from execution_api.dal.keys import RECORD_SK
from execution_api.infra.notifications import deliver_links
from execution_api.infra.settings import get_settings
from execution_api.logic.decision_links import decision_links
from execution_api.models.domain import Execution, utc_now
from execution_api.models.workflow_contract import DECISION_STEPS, WAIT_STEP_ATTRIBUTE, WAIT_TOKEN_ATTRIBUTE


def announce(execution: Execution, step: str) -> int:
    """Records who must decide ``step`` and sends each of them their links; returns how many."""
    settings = get_settings()
    if not settings.public_url:
        raise RuntimeError("PUBLIC_URL is not configured")
    expires_at = utc_now() + timedelta(seconds=settings.approval_timeout_seconds)
    repositories.decisions().add_pending(execution, step, execution.approvers, int(expires_at.timestamp()))
    summary = _summary(execution)
    for recipient in execution.approvers:
        links = decision_links(execution.guid, step, recipient, expires_at, settings.public_url)
        deliver_links(recipient, summary, links)
    return len(execution.approvers)


def _summary(execution: Execution) -> str:
    details = execution.input if isinstance(execution.input, dict) else {}
    return (
        f"{execution.owner} requests '{details.get('role', execution.workflow)}'"
        f" for {details.get('duration', 'PT1H')}: {details.get('reason', '')}"
    )


def announce_new_decision_waits(records: list[dict[str, Any]]) -> int:
    """Announces each stream record that is a record beginning a decision wait; returns how many
    people were sent links."""
    announced = 0
    for record in records:
        change = record.get("dynamodb", {})
        step = _new_decision_wait(change)
        if step:
            announced += announce(from_item(change["NewImage"]), step)
    return announced


def _new_decision_wait(change: dict[str, Any]) -> str | None:
    """The step, if this change is an execution record that began a decision wait (a new task token)."""
    new = change.get("NewImage") or {}
    old = change.get("OldImage") or {}
    step = new.get(WAIT_STEP_ATTRIBUTE, {}).get("S")
    if new.get("sk", {}).get("S") != RECORD_SK or step not in DECISION_STEPS:
        return None
    return step if new.get(WAIT_TOKEN_ATTRIBUTE) != old.get(WAIT_TOKEN_ATTRIBUTE) else None
