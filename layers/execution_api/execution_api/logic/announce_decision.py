"""When a workflow starts waiting at a decision step (the table's stream triggers this): record who
must decide, and send each recipient their links, each on their own: one that fails does not stop
the others, and a retry sends only to those not yet notified."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from execution_api.dal import repositories
from execution_api.dal.codec import from_item
from execution_api.dal.keys import RECORD_SK
from execution_api.infra.notifications import DecisionRequest, deliver_links
from execution_api.infra.observability import logger
from execution_api.infra.settings import get_settings
from execution_api.infra.timefmt import iso_duration
from execution_api.logic.decision_links import decision_links, recipients_of
from execution_api.models.audit import AuditEvent
from execution_api.models.domain import Execution, utc_now
from execution_api.models.workflow_contract import DECISION_STEPS, WAIT_STEP_ATTRIBUTE, WAIT_TOKEN_ATTRIBUTE

NOTIFIER = "notifier"


class DeliveryFailed(Exception):
    """Some recipients could not be notified; the stream delivers the change again."""


def announce_new_decision_waits(records: list[dict[str, Any]]) -> int:
    """Announces each stream record that is a record beginning a decision wait; returns how many
    recipients were notified."""
    announced = 0
    for record in records:
        change = record.get("dynamodb", {})
        step = _new_decision_wait(change)
        if step:
            announced += announce(from_item(change["NewImage"]), step)
    return announced


def announce(execution: Execution, step: str) -> int:
    settings = get_settings()
    if not settings.public_url:
        raise RuntimeError("PUBLIC_URL is not configured")
    if execution.decision is None:
        return 0
    expires_at = utc_now() + timedelta(seconds=settings.approval_timeout_seconds)
    decisions = repositories.decisions()
    request = _request(execution)
    notified, failed = 0, []
    for recipient in recipients_of(execution.decision, execution.owner_email):
        pending = decisions.add_pending(execution, step, recipient, int(expires_at.timestamp()))
        if pending.notified:
            continue
        try:
            links = decision_links(execution.guid, step, recipient, expires_at, settings.public_url)
            deliver_links(recipient, request, links)
        except (ClientError, BotoCoreError, OSError):
            logger.warning("could not notify a recipient", extra={"guid": execution.guid, "recipient": recipient})
            failed.append(recipient)
            continue
        decisions.mark_notified(pending)
        event = AuditEvent(guid=execution.guid, type="notified", at=utc_now(), actor=NOTIFIER, detail={"to": recipient})
        repositories.audit().append(event)
        notified += 1
    if failed:
        raise DeliveryFailed(f"{len(failed)} recipient(s) not notified")
    return notified


def _request(execution: Execution) -> DecisionRequest:
    details = execution.input if isinstance(execution.input, dict) else {}
    grant = execution.elevation
    return DecisionRequest(
        requester=execution.owner_display or execution.owner,
        subject=f"role '{grant.role}'" if grant else f"'{execution.workflow}'",
        duration=iso_duration(timedelta(seconds=grant.duration_seconds)) if grant else "-",
        reason=str(details.get("reason") or ""),
    )


def _new_decision_wait(change: dict[str, Any]) -> str | None:
    """The step, if this change is an execution record that began a decision wait (a new task token)."""
    new = change.get("NewImage") or {}
    old = change.get("OldImage") or {}
    step = new.get(WAIT_STEP_ATTRIBUTE, {}).get("S")
    if new.get("sk", {}).get("S") != RECORD_SK or step not in DECISION_STEPS:
        return None
    return step if new.get(WAIT_TOKEN_ATTRIBUTE) != old.get(WAIT_TOKEN_ATTRIBUTE) else None
