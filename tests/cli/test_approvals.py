"""``execapi pending``, ``approve`` and ``deny`` against the local server: an approver decides from
a pasted link or by execution id; a link that makes the other decision is refused before anything
is decided. Approvers are members of the group the roles policy names (``security-approvers``)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import Result

from execution_api_cli import exit_codes
from tests.e2e.conftest import (
    APPROVERS,
    ApiClient,
    a_user,
    elevation,
    history,
    pending_signal,
    wait_for,
    wait_for_signal,
)

pytestmark = pytest.mark.e2e


def requested(execapi: Callable[..., Result], requester: str) -> str:
    started = execapi("start", "default", "-i", json.dumps(elevation()), "-o", "json", user=requester)
    assert started.exit_code == 0, started.stderr
    return json.loads(started.stdout)["run_id"]


def test_an_approver_approves_from_a_pasted_link_and_the_requester_watches_and_cancels(
    api: Callable[..., ApiClient], execapi: Callable[..., Result]
) -> None:
    requester, approver = a_user(), a_user()
    guid = requested(execapi, requester)
    wait_for_signal(api(approver, [APPROVERS]), guid)

    inbox = execapi("pending", "-o", "json", user=approver, groups=[APPROVERS])
    table = execapi("pending", user=approver, groups=[APPROVERS])
    (decision,) = [item for item in json.loads(inbox.stdout) if item["guid"] == guid]
    approved = execapi(
        "approve", decision["console_approve_url"], "--comment", "change 42", user=approver, groups=[APPROVERS]
    )

    assert guid in table.stdout
    assert requester in table.stdout
    assert approved.exit_code == 0, approved.stderr
    assert approved.stdout == f"{guid}  approve: approved (1 of 1 approvals)\n"
    assert pending_signal(api(approver, [APPROVERS]), guid) is None
    wait_for(lambda: any(event.get("state") == "HoldGrant" for event in history(api(requester), guid)))
    holding = execapi("show", guid, user=requester)

    cancelled = execapi("cancel", guid, user=requester)
    waited = execapi("wait", guid, "--interval", "0.2", user=requester)

    assert "grant     developer as elevate-developer: granted, expires in " in holding.stdout
    assert f"approved  {approver}" in holding.stdout
    assert cancelled.exit_code == 0, cancelled.stderr
    assert waited.exit_code == exit_codes.STOPPED
    wait_for(lambda: api(requester).get(f"/executions/{guid}").body["grant"]["state"] == "revoked")
    (grant_line,) = [
        line for line in execapi("show", guid, user=requester).stdout.splitlines() if line.startswith("grant")
    ]
    assert grant_line.startswith("grant     developer as elevate-developer: revoked ")
    assert grant_line.endswith("(cancelled)")


def test_a_link_that_makes_the_other_decision_is_refused_and_deny_by_id_decides(
    api: Callable[..., ApiClient], execapi: Callable[..., Result]
) -> None:
    requester, approver = a_user(), a_user()
    guid = requested(execapi, requester)
    deny_link = wait_for_signal(api(approver, [APPROVERS]), guid)["deny_url"]

    wrong = execapi("approve", deny_link, user=approver, groups=[APPROVERS])

    assert wrong.exit_code == 1
    assert "this is a link to deny: use `execapi deny` with it" in wrong.stderr
    assert pending_signal(api(approver, [APPROVERS]), guid) is not None  # nothing was decided

    denied = execapi("deny", guid, "-m", "not this week", "-o", "json", user=approver, groups=[APPROVERS])
    again = execapi("deny", guid, user=approver, groups=[APPROVERS])

    assert denied.exit_code == 0, denied.stderr
    assert (json.loads(denied.stdout)["decision"], json.loads(denied.stdout)["outcome"]) == ("deny", "denied")
    assert again.exit_code == 1
    assert again.stderr == f"Error: no decision of yours is pending for {guid} (see `execapi pending`)\n"


def test_a_pasted_link_that_is_not_a_decision_link_is_refused(execapi: Callable[..., Result]) -> None:
    result = execapi("approve", "https://example.com/console/executions/x", user=a_user())

    assert result.exit_code == 1
    assert "not a decision link" in result.stderr
