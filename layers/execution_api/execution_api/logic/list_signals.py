"""``GET /signals``: the decisions waiting for the caller (addressed to them or to one of their
groups, never their own requests), newest first, each with fresh links; paged by ``next_token``."""

from __future__ import annotations

from datetime import datetime

from execution_api.dal import repositories
from execution_api.dal.cursor import decode_cursor, encode_cursor
from execution_api.dal.decisions import DecisionState, PendingDecision
from execution_api.infra.secrets import cursor_signing_key
from execution_api.infra.settings import get_settings
from execution_api.infra.timefmt import iso_millis
from execution_api.logic.decision_links import decision_links, recipients_for
from execution_api.models.caller import Caller
from execution_api.models.domain import utc_now
from execution_api.models.responses import PendingSignal, SignalList

_CURSOR_SCOPE = "signals"


def pending_signals(caller: Caller, origin: str, limit: int = 20, next_token: str | None = None) -> SignalList:
    """The caller's undecided decisions, each with fresh links under ``origin`` (``PUBLIC_URL``
    when set, which a custom domain needs)."""
    origin = get_settings().public_url or origin
    secret = cursor_signing_key()
    before = decode_cursor(next_token, caller.identity, _CURSOR_SCOPE, secret)["before"] if next_token else None
    decisions = repositories.decisions()
    pending, more = decisions.pending_for(recipients_for(caller), int(utc_now().timestamp()), limit, before)
    states = decisions.load_many([(item.guid, item.step) for item in pending]) if pending else {}
    signals = [
        _signal(item, states[(item.guid, item.step)], caller, origin)
        for item in pending
        if _waits_for(caller, item, states[(item.guid, item.step)])
    ]
    token = encode_cursor({"before": pending[-1].start_key}, caller.identity, _CURSOR_SCOPE, secret) if more else None
    return SignalList(signals=signals, next_token=token)


def _waits_for(caller: Caller, item: PendingDecision, state: DecisionState) -> bool:
    execution = state.execution
    return not (
        execution is None
        or execution.state.is_terminal
        or state.wait_step != item.step
        or state.decided
        or caller.is_person(execution.owner, execution.owner_email)
        or state.counts(caller.identity, caller.email)
    )


def _signal(item: PendingDecision, state: DecisionState, caller: Caller, origin: str) -> PendingSignal:
    execution = state.execution
    assert execution is not None
    assert execution.decision is not None
    expires_at = datetime.fromtimestamp(item.expires_at, utc_now().tzinfo)
    links = decision_links(item.guid, item.step, item.recipient, expires_at, origin)
    return PendingSignal(
        guid=item.guid,
        workflow_id=execution.workflow_id,
        workflow=execution.workflow,
        step=item.step,
        requested_by=execution.owner_display or execution.owner,
        input=execution.input,
        approvals=len(state.approvals),
        required_approvals=execution.decision.required_approvals,
        expires_at=iso_millis(expires_at),
        approve_url=links["approve"],
        deny_url=links["deny"],
        console_approve_url=links["console_approve"],
        console_deny_url=links["console_deny"],
    )
