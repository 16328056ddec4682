"""Decision steps (approvals): links for each recipient, signals that resume the workflow,
and what waits for whom.

A decision needs ``required_approvals`` distinct approvals from the execution's approvers; any
denial decides at once. The requester is never among the approvers (``catalogue`` removes
them), so nobody approves their own request. The Step Functions task token never leaves the
service: it stays on the record, and only the signal handler reads it.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field

from execution_api.aws import stepfunctions_client
from execution_api.control import GONE_TOKEN_ERRORS
from execution_api.errors import Conflict, Forbidden, Gone, InvalidRequest, NotFound, ServiceUnavailable
from execution_api.execution_ids import guid_from_id
from execution_api.identity import Caller
from execution_api.models import Execution, utc_now
from execution_api.notifications import deliver_links
from execution_api.repository import DecisionRepository, DecisionState
from execution_api.secrets_store import signal_keyring
from execution_api.settings import get_settings
from execution_api.signal_tokens import DECISIONS, DecisionLink, open_sealed, seal
from execution_api.timefmt import iso_millis

DECISION_STEPS = frozenset({"approval"})
API_BASE_PATH = "/api/v1"
CONSOLE_PATH = "/console"


def _repository() -> DecisionRepository:
    return DecisionRepository(get_settings().table_name)


def _source() -> str:
    return f"urn:execution-api:{get_settings().task_queue}"


def decision_links(guid: str, step: str, recipient: str, expires_at: datetime, origin: str) -> dict[str, str]:
    """A fresh approve and deny token for ``recipient``, each as a link to the API
    (``<decision>``) and to the console's decision page (``console_<decision>``) under ``origin``
    (``https://<host>``); each token works once."""
    keyring = signal_keyring()
    base = origin.rstrip("/")
    links = {}
    for decision in DECISIONS:
        link = DecisionLink(str(uuid.uuid4()), guid, step, recipient, decision, expires_at)
        token = quote(seal(link, keyring, _source()), safe="")
        links[decision] = f"{base}{API_BASE_PATH}/execution/{guid}/signal?input={token}"
        # In the fragment: a browser never sends it, so no server or proxy logs the token.
        links[f"console_{decision}"] = f"{base}{CONSOLE_PATH}/decide#input={token}"
    return links


def announce(execution: Execution, step: str) -> int:
    """Records who must decide ``step`` and sends each of them their links; returns how many."""
    settings = get_settings()
    if not settings.public_url:
        raise RuntimeError("PUBLIC_URL is not configured")
    expires_at = utc_now() + timedelta(seconds=settings.approval_timeout_seconds)
    _repository().add_pending(execution, step, execution.approvers, int(expires_at.timestamp()))
    summary = _summary(execution)
    for recipient in execution.approvers:
        links = decision_links(execution.guid, step, recipient, expires_at, settings.public_url)
        deliver_links(recipient, summary, links)
    return len(execution.approvers)


class SignalRequest(BaseModel):
    """A decision link's token, and an optional comment that goes into the audit trail."""

    model_config = ConfigDict(extra="forbid")

    input: Annotated[str, Field(min_length=1, max_length=4096)]
    comment: Annotated[str | None, Field(min_length=1, max_length=1000)] = None


def _link_for(caller: Caller, execution_id: str | None, token: str) -> DecisionLink:
    """The link inside ``token`` if it may be used by ``caller`` now (for ``execution_id``)."""
    link = open_sealed(token, signal_keyring())
    if execution_id is not None and link.guid != guid_from_id(execution_id):
        raise InvalidRequest("input: the link belongs to another execution")
    if link.expires_at <= utc_now():
        raise Gone("input: the link has expired")
    if link.recipient != caller.identity:
        raise Forbidden("input: the link is addressed to someone else")
    return link


def submit_signal(caller: Caller, execution_id: str, token: str, comment: str | None = None) -> dict[str, Any]:
    link = _link_for(caller, execution_id, token)
    repository = _repository()
    state = repository.load(link.guid, link.step)
    execution = _waiting_execution(state, link)
    if caller.identity not in execution.approvers:
        raise Forbidden("you are not an approver of this execution")
    if caller.identity in state.approvals:
        raise Conflict("you have already approved this request")
    approve = link.decision == "approve"
    approvals = state.approvals | {caller.identity} if approve else state.approvals
    outcome = "denied" if not approve else ("approved" if len(approvals) >= execution.required_approvals else None)
    repository.record_vote(
        state,
        link.step,
        nonce=link.nonce,
        voter=caller.identity,
        outcome=outcome,
        nonce_expires_at=int(link.expires_at.timestamp()) + 86400,
        comment=comment,
    )
    if outcome:
        by: Any = sorted(approvals) if approve else caller.identity
        _resume(state, link, caller.identity, {"approved": approve, "by": by})
    return {
        "message": "Signal sent successfully",
        "workflow_id": execution.workflow_id,
        "decision": link.decision,
        "outcome": outcome or "pending",
        "approvals": len(approvals),
        "required_approvals": execution.required_approvals,
    }


def inspect_signal(caller: Caller, token: str) -> dict[str, Any]:
    """What ``token`` would decide, checked as the signal endpoint checks it, without deciding."""
    link = _link_for(caller, None, token)
    repository = _repository()
    if repository.nonce_used(link.nonce):
        raise Conflict("input: this link has already been used")
    state = repository.load(link.guid, link.step)
    execution = _waiting_execution(state, link)
    if caller.identity in state.approvals:
        raise Conflict("you have already approved this request")
    return {
        "guid": execution.guid,
        "workflow_id": execution.workflow_id,
        "workflow": execution.workflow,
        "step": link.step,
        "decision": link.decision,
        "requested_by": execution.owner,
        "input": execution.input,
        "approvals": len(state.approvals),
        "required_approvals": execution.required_approvals,
        "expires_at": iso_millis(link.expires_at),
    }


def pending_signals(caller: Caller, origin: str) -> dict[str, Any]:
    """The caller's undecided decisions, each with fresh links under ``origin`` (``PUBLIC_URL``
    when set, which a custom domain needs)."""
    origin = get_settings().public_url or origin
    repository = _repository()
    pending = repository.pending_for(caller.identity, int(utc_now().timestamp()))
    states = repository.load_many([(item.guid, item.step) for item in pending]) if pending else {}
    signals = []
    for item in pending:
        state = states[(item.guid, item.step)]
        execution = state.execution
        if (
            execution is None
            or execution.state.is_terminal
            or state.wait_step != item.step
            or state.decided
            or caller.identity in state.approvals
        ):
            continue
        expires_at = datetime.fromtimestamp(item.expires_at, utc_now().tzinfo)
        links = decision_links(item.guid, item.step, caller.identity, expires_at, origin)
        signals.append(
            {
                "guid": item.guid,
                "workflow_id": execution.workflow_id,
                "workflow": execution.workflow,
                "step": item.step,
                "requested_by": execution.owner,
                "input": execution.input,
                "approvals": len(state.approvals),
                "required_approvals": execution.required_approvals,
                "expires_at": iso_millis(expires_at),
                "approve_url": links["approve"],
                "deny_url": links["deny"],
                "console_approve_url": links["console_approve"],
                "console_deny_url": links["console_deny"],
            }
        )
    return {"signals": signals}


def _waiting_execution(state: DecisionState, link: DecisionLink) -> Execution:
    execution = state.execution
    if execution is None:
        raise NotFound("execution not found")
    if execution.state.is_terminal:
        raise Conflict("the execution has ended")
    if state.wait_step != link.step or state.decided:
        raise Conflict("the execution is not waiting for this decision")
    return execution


def _resume(state: DecisionState, link: DecisionLink, voter: str, decision: dict[str, Any]) -> None:
    """Sends the decision to the waiting step; if that fails, the vote is undone."""
    try:
        stepfunctions_client().send_task_success(taskToken=state.wait_token, output=json.dumps(decision))
    except ClientError as error:
        assert state.execution is not None
        _repository().undo_vote(state.execution.guid, link.step, link.nonce, voter)
        if error.response["Error"]["Code"] in GONE_TOKEN_ERRORS:
            raise Conflict("the execution is no longer waiting for this decision") from error
        raise ServiceUnavailable("could not resume the workflow: retry the link shortly") from error


def _summary(execution: Execution) -> str:
    details = execution.input if isinstance(execution.input, dict) else {}
    return (
        f"{execution.owner} requests '{details.get('role', execution.workflow)}'"
        f" for {details.get('duration', 'PT1H')}: {details.get('reason', '')}"
    )
