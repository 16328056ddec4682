"""``GET|POST /execution/{id}/signal``: a recipient's decision through their link. The nonce, the
vote and the check that the step still waits on the same task token are one transaction, so two
uses of one link at once resume the workflow exactly once; then ``SendTaskSuccess`` resumes it,
and if that fails the vote is undone and the link works again. ``required_approvals`` distinct
people approve; any denial decides at once."""

from __future__ import annotations

import json
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from execution_api.dal import repositories
from execution_api.dal.decisions import DecisionState, Vote
from execution_api.infra.aws_errors import GONE_TASK_TOKEN, code_of
from execution_api.infra.clients import stepfunctions_client
from execution_api.infra.sealing import DecisionLink
from execution_api.logic.decision_links import check_decider, usable_link, waiting_execution
from execution_api.models.audit import AuditEvent
from execution_api.models.caller import Caller
from execution_api.models.domain import utc_now
from execution_api.models.errors import Conflict, ServiceUnavailable
from execution_api.models.responses import SignalResult


def submit_signal(caller: Caller, execution_id: str, token: str, comment: str | None = None) -> SignalResult:
    link = usable_link(caller, execution_id, token)
    decisions = repositories.decisions()
    state = decisions.load(link.guid, link.step)
    execution = waiting_execution(state, link)
    policy = check_decider(caller, execution, state)
    approve = link.decision == "approve"
    approvals = len(state.approvals) + (1 if approve else 0)
    outcome: Literal["approved", "denied"] | None = (
        "denied" if not approve else ("approved" if approvals >= policy.required_approvals else None)
    )
    approved_by = sorted(state.approval_names | {caller.name}) if outcome == "approved" else None
    vote = Vote(identity=caller.identity, email=caller.email, name=caller.name, decision=link.decision, comment=comment)
    decisions.record_vote(
        state,
        link.step,
        vote,
        nonce=link.nonce,
        nonce_expires_at=int(link.expires_at.timestamp()) + 86400,
        outcome=outcome,
        approved_by=approved_by,
    )
    if outcome:
        _resume(state, link, vote, {"approved": approve, "by": approved_by or caller.name})
    detail: dict[str, Any] = {
        "step": link.step,
        "approvals": approvals,
        "required_approvals": policy.required_approvals,
    }
    if comment:
        detail["comment"] = comment
    event_type: Literal["approved", "denied"] = "approved" if approve else "denied"
    repositories.audit().append(
        AuditEvent(guid=execution.guid, type=event_type, at=utc_now(), actor=caller.name, detail=detail)
    )
    return SignalResult(
        message="Signal sent successfully",
        workflow_id=execution.workflow_id,
        decision=link.decision,
        outcome=outcome or "pending",
        approvals=approvals,
        required_approvals=policy.required_approvals,
    )


def _resume(state: DecisionState, link: DecisionLink, vote: Vote, decision: dict[str, Any]) -> None:
    """Sends the decision to the waiting step; if that fails, the vote is undone. Also when
    Step Functions did not answer: if it took the decision anyway, the grant step finds the
    decision undone and refuses to grant (it fails closed)."""
    try:
        stepfunctions_client().send_task_success(taskToken=state.wait_token, output=json.dumps(decision))
    except (ClientError, BotoCoreError) as error:
        assert state.execution is not None
        repositories.decisions().undo_vote(state.execution.guid, link.step, link.nonce, vote)
        if isinstance(error, ClientError) and code_of(error) in GONE_TASK_TOKEN:
            raise Conflict("the execution is no longer waiting for this decision") from error
        raise ServiceUnavailable("could not resume the workflow: retry the link shortly") from error
