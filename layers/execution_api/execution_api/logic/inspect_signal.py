"""``POST /signals/inspect``: what a decision link decides, checked as a decision is, without
deciding: the console shows it before its user decides with a POST."""

from __future__ import annotations

from execution_api.dal import repositories
from execution_api.infra.timefmt import iso_millis
from execution_api.logic.decision_links import usable_link, waiting_execution
from execution_api.models.caller import Caller
from execution_api.models.errors import Conflict
from execution_api.models.responses import SignalInspection


def inspect_signal(caller: Caller, token: str) -> SignalInspection:
    """What ``token`` would decide, checked as the signal endpoint checks it, without deciding."""
    link = usable_link(caller, None, token)
    repository = repositories.decisions()
    if repository.nonce_used(link.nonce):
        raise Conflict("input: this link has already been used")
    state = repository.load(link.guid, link.step)
    execution = waiting_execution(state, link)
    if caller.identity in state.approvals:
        raise Conflict("you have already approved this request")
    return SignalInspection(
        guid=execution.guid,
        workflow_id=execution.workflow_id,
        workflow=execution.workflow,
        step=link.step,
        decision=link.decision,
        requested_by=execution.owner,
        input=execution.input,
        approvals=len(state.approvals),
        required_approvals=execution.required_approvals,
        expires_at=iso_millis(link.expires_at),
    )
