"""``GET /signals``: the decisions waiting for the caller, each with fresh links."""

from __future__ import annotations

from datetime import datetime

from execution_api.dal import repositories
from execution_api.infra.settings import get_settings
from execution_api.infra.timefmt import iso_millis
from execution_api.logic.decision_links import decision_links
from execution_api.models.caller import Caller
from execution_api.models.domain import utc_now
from execution_api.models.responses import PendingSignal, SignalList


def pending_signals(caller: Caller, origin: str) -> SignalList:
    """The caller's undecided decisions, each with fresh links under ``origin`` (``PUBLIC_URL``
    when set, which a custom domain needs)."""
    origin = get_settings().public_url or origin
    repository = repositories.decisions()
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
            PendingSignal(
                guid=item.guid,
                workflow_id=execution.workflow_id,
                workflow=execution.workflow,
                step=item.step,
                requested_by=execution.owner,
                input=execution.input,
                approvals=len(state.approvals),
                required_approvals=execution.required_approvals,
                expires_at=iso_millis(expires_at),
                approve_url=links["approve"],
                deny_url=links["deny"],
                console_approve_url=links["console_approve"],
                console_deny_url=links["console_deny"],
            )
        )
    return SignalList(signals=signals)
