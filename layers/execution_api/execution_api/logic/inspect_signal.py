"""``POST /signals/inspect``: what a decision link decides, checked as a decision is, without
deciding: the console shows it before its user decides with a POST."""

from __future__ import annotations

from execution_api.dal import repositories
from execution_api.infra.timefmt import iso_millis
from execution_api.logic.decision_links import check_decider, usable_link, waiting_execution
from execution_api.models.caller import Caller
from execution_api.models.errors import Conflict
from execution_api.models.responses import SignalInspection


def inspect_signal(caller: Caller, token: str) -> SignalInspection:
    link = usable_link(caller, None, token)
    decisions = repositories.decisions()
    if decisions.nonce_used(link.nonce):
        raise Conflict("input: this link has already been used")
    state = decisions.load(link.guid, link.step)
    execution = waiting_execution(state, link)
    policy = check_decider(caller, execution, state)
    return SignalInspection(
        guid=execution.guid,
        workflow_id=execution.workflow_id,
        workflow=execution.workflow,
        step=link.step,
        decision=link.decision,
        requested_by=execution.owner_display or execution.owner,
        input=execution.input,
        approvals=len(state.approvals),
        required_approvals=policy.required_approvals,
        expires_at=iso_millis(link.expires_at),
    )
