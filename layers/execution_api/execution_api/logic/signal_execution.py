"""``GET|POST /execution/{id}/signal``: a recipient's decision through their link. The nonce, the
vote and the check that the step still waits on the same task token are one transaction, so two
uses of one link at once resume the workflow exactly once; then ``SendTaskSuccess`` resumes it,
and if that fails the vote is undone and the link works again."""

from __future__ import annotations

import json
from typing import Any, Literal

from botocore.exceptions import ClientError

from execution_api.dal import repositories
from execution_api.dal.decisions import DecisionState
from execution_api.infra.aws_errors import GONE_TASK_TOKEN, code_of
from execution_api.infra.clients import stepfunctions_client
from execution_api.infra.sealing import DecisionLink
from execution_api.logic.decision_links import usable_link, waiting_execution
from execution_api.models.caller import Caller
from execution_api.models.errors import Conflict, Forbidden, ServiceUnavailable
from execution_api.models.responses import SignalResult


def submit_signal(caller: Caller, execution_id: str, token: str, comment: str | None = None) -> SignalResult:
    link = usable_link(caller, execution_id, token)
    repository = repositories.decisions()
    state = repository.load(link.guid, link.step)
    execution = waiting_execution(state, link)
    if caller.identity not in execution.approvers:
        raise Forbidden("you are not an approver of this execution")
    if caller.identity in state.approvals:
        raise Conflict("you have already approved this request")
    approve = link.decision == "approve"
    approvals = state.approvals | {caller.identity} if approve else state.approvals
    outcome: Literal["approved", "denied"] | None = (
        "denied" if not approve else ("approved" if len(approvals) >= execution.required_approvals else None)
    )
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
    return SignalResult(
        message="Signal sent successfully",
        workflow_id=execution.workflow_id,
        decision=link.decision,
        outcome=outcome or "pending",
        approvals=len(approvals),
        required_approvals=execution.required_approvals,
    )


def _resume(state: DecisionState, link: DecisionLink, voter: str, decision: dict[str, Any]) -> None:
    """Sends the decision to the waiting step; if that fails, the vote is undone."""
    try:
        stepfunctions_client().send_task_success(taskToken=state.wait_token, output=json.dumps(decision))
    except ClientError as error:
        assert state.execution is not None
        repositories.decisions().undo_vote(state.execution.guid, link.step, link.nonce, voter)
        if code_of(error) in GONE_TASK_TOKEN:
            raise Conflict("the execution is no longer waiting for this decision") from error
        raise ServiceUnavailable("could not resume the workflow: retry the link shortly") from error
