"""Decision links: a sealed token per recipient and decision, as a link to the API and to the
console's decision page; who a decision is addressed to; and the checks every use of a link makes.

A decision is addressed to the approvers the policy names: each user (``user:<email>``) and each
group (``group:<name>``, for any member). A link works only for its recipient, never for the
requester (whatever the spelling of their identity), once, and until it expires. The Step
Functions task token never leaves the service: it stays on the record.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from urllib.parse import quote

from execution_api.dal.decisions import DecisionState
from execution_api.infra.sealing import DECISIONS, DecisionLink, open_sealed, seal
from execution_api.infra.secrets import signal_keyring
from execution_api.infra.settings import get_settings
from execution_api.models.caller import Caller
from execution_api.models.domain import DecisionPolicy, Execution, utc_now
from execution_api.models.errors import Conflict, Forbidden, Gone, InvalidRequest, NotFound
from execution_api.models.ids import guid_from_id
from execution_api.models.urls import API_BASE_PATH, CONSOLE_PATH

USER_PREFIX = "user:"
GROUP_PREFIX = "group:"


def recipients_of(decision: DecisionPolicy, requester_email: str | None) -> list[str]:
    """Whom a decision is addressed to: its approver users (not the requester) and groups."""
    users = [user for user in decision.approver_users if not (requester_email and user == requester_email.casefold())]
    return [f"{USER_PREFIX}{user}" for user in users] + [f"{GROUP_PREFIX}{group}" for group in decision.approver_groups]


def recipients_for(caller: Caller) -> list[str]:
    """What a caller may be addressed as: their verified email and each of their groups."""
    mine = [f"{USER_PREFIX}{caller.email.casefold()}"] if caller.email else []
    return mine + [f"{GROUP_PREFIX}{group}" for group in sorted(caller.groups)]


def _source() -> str:
    return f"urn:execution-api:{get_settings().task_queue}"


def decision_links(guid: str, step: str, recipient: str, expires_at: datetime, origin: str) -> dict[str, str]:
    """A fresh approve and deny token for ``recipient``, each as a link to the API
    (``<decision>``) and to the console's decision page (``console_<decision>``) under ``origin``
    (``https://<host>``); each token works once."""
    keyring = signal_keyring()
    base = origin.rstrip("/")
    links: dict[str, str] = {}
    for decision in DECISIONS:
        link = DecisionLink(str(uuid.uuid4()), guid, step, recipient, decision, expires_at)
        token = quote(seal(link, keyring, _source()), safe="")
        links[decision] = f"{base}{API_BASE_PATH}/execution/{guid}/signal?input={token}"
        # In the fragment: a browser never sends it, so no server or proxy logs the token.
        links[f"console_{decision}"] = f"{base}{CONSOLE_PATH}/decide#input={token}"
    return links


def usable_link(caller: Caller, execution_id: str | None, token: str) -> DecisionLink:
    """The link inside ``token`` if it may be used by ``caller`` now (for ``execution_id``)."""
    link = open_sealed(token, signal_keyring())
    if execution_id is not None and link.guid != guid_from_id(execution_id):
        raise InvalidRequest("input: the link belongs to another execution")
    if link.expires_at <= utc_now():
        raise Gone("input: the link has expired")
    if link.recipient not in recipients_for(caller):
        raise Forbidden("input: the link is addressed to someone else")
    return link


def waiting_execution(state: DecisionState, link: DecisionLink) -> Execution:
    execution = state.execution
    if execution is None:
        raise NotFound("execution not found")
    if execution.state.is_terminal:
        raise Conflict("the execution has ended")
    if state.wait_step != link.step or state.decided:
        raise Conflict("the execution is not waiting for this decision")
    return execution


def check_decider(caller: Caller, execution: Execution, state: DecisionState) -> DecisionPolicy:
    """The caller may decide ``execution``: an approver the policy names, not the requester,
    and not one who approved already (under any identity of theirs)."""
    decision = execution.decision
    if decision is None:
        raise Conflict("the execution has no decision to make")
    if caller.is_person(execution.owner, execution.owner_email):
        raise Forbidden("you cannot decide your own request")
    by_email = bool(caller.email and caller.email.casefold() in decision.approver_users)
    if not (by_email or caller.groups.intersection(decision.approver_groups)):
        raise Forbidden("you are not an approver of this execution")
    if state.counts(caller.identity, caller.email):
        raise Conflict("you have already approved this request")
    return decision
