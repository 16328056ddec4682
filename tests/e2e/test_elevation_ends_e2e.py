"""No end of an elevation leaves access behind, over HTTP against the local server: each way an
elevation ends (hold expiry, cancel, terminate, denial, the record deleted) and overlapping grants
of one role to one person, watched in the server's embedded IAM (``/_aws``)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.e2e.conftest import (
    APPROVERS,
    ApiClient,
    a_user,
    elevation,
    follow,
    group_members,
    start,
    wait_for,
    wait_for_grant,
    wait_for_signal,
)

pytestmark = pytest.mark.e2e


def approved(api: Callable[..., ApiClient], requester: ApiClient, role: str = "developer") -> str:
    guid = start(requester, "default", elevation(role))["run_id"]
    approver = api(a_user(), [APPROVERS])
    status, body, _ = follow(approver, wait_for_signal(approver, guid)["approve_url"])
    assert (status, body.get("outcome")) == (200, "approved"), body
    wait_for_grant(requester, guid, "granted")
    return guid


def test_the_hold_expires_and_the_membership_goes(api: Callable[..., ApiClient], local_server: str) -> None:
    alice = api(a_user())
    guid = start(alice, "default", elevation("flash"))["run_id"]  # auto-approved, held 5 s

    wait_for_grant(alice, guid, "granted")
    assert alice.name in group_members(local_server, "elevate-flash")
    grant = wait_for_grant(alice, guid, "revoked")

    assert grant["cause"] == "expired"
    assert alice.get(f"/executions/{guid}").body["state"] == "FINISHED"
    assert alice.name not in group_members(local_server, "elevate-flash")


@pytest.mark.parametrize(("action", "cause"), [("cancel", "cancelled"), ("terminate", "terminated")])
def test_cancel_and_terminate_after_the_grant_revoke_it(
    api: Callable[..., ApiClient], local_server: str, action: str, cause: str
) -> None:
    alice = api(a_user())
    guid = approved(api, alice)
    assert alice.name in group_members(local_server, "elevate-developer")

    assert alice.post(f"/execution/{guid}/{action}").status == 200

    assert wait_for_grant(alice, guid, "revoked")["cause"] == cause
    assert alice.name not in group_members(local_server, "elevate-developer")


def test_a_denied_request_grants_nothing(api: Callable[..., ApiClient], local_server: str) -> None:
    alice = api(a_user())
    guid = start(alice, "default", elevation("developer"))["run_id"]
    approver = api(a_user(), [APPROVERS])

    assert follow(approver, wait_for_signal(approver, guid)["deny_url"]).body["outcome"] == "denied"

    ended = wait_for(lambda: (record := alice.get(f"/executions/{guid}").body)["state"] != "INPROGRESS" and record)
    assert (ended["state"], ended["grant"]["state"]) == ("FINISHED", None)
    assert alice.name not in group_members(local_server, "elevate-developer")


def test_a_record_deleted_as_its_grant_ends_still_has_it_revoked(
    api: Callable[..., ApiClient], local_server: str
) -> None:
    alice = api(a_user())
    admin = api(a_user(), ["execution-admins"])
    guid = approved(api, alice)

    assert alice.post(f"/execution/{guid}/cancel").status == 200
    assert alice.delete(f"/executions/{guid}").status == 200  # the record goes before the execution ends

    wait_for(lambda: alice.name not in group_members(local_server, "elevate-developer"))
    trail = admin.get(f"/executions/{guid}/audit").body["events"]
    assert [event["detail"]["cause"] for event in trail if event["type"] == "revoked"] == ["cancelled"]


def test_overlapping_grants_of_one_role_are_counted(api: Callable[..., ApiClient], local_server: str) -> None:
    alice = api(a_user())
    first = start(alice, "default", elevation("readonly"))["run_id"]  # auto-approved
    second = start(alice, "default", elevation("readonly"))["run_id"]
    wait_for_grant(alice, first, "granted")
    wait_for_grant(alice, second, "granted")

    assert alice.post(f"/execution/{first}/cancel").status == 200
    wait_for_grant(alice, first, "revoked")
    assert alice.name in group_members(local_server, "elevate-readonly")  # the second still holds it

    assert alice.post(f"/execution/{second}/terminate").status == 200
    wait_for_grant(alice, second, "revoked")
    assert alice.name not in group_members(local_server, "elevate-readonly")
