"""Decision links: a sealed token per recipient and decision, as a link to the API and to the
console's decision page; and the checks every use of a link makes.

A decision needs ``required_approvals`` distinct approvals from the execution's approvers; any
denial decides at once. The requester is never among the approvers, so nobody approves their own
request. The Step Functions task token never leaves the service: it stays on the record.
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
from execution_api.models.domain import Execution, utc_now
from execution_api.models.errors import Conflict, Forbidden, Gone, InvalidRequest, NotFound
from execution_api.models.ids import guid_from_id
from execution_api.models.urls import API_BASE_PATH, CONSOLE_PATH


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
    if link.recipient != caller.identity:
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
