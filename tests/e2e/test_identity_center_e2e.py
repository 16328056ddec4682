"""The ``aws-sso`` provider over HTTP against the local server, watched in its embedded IAM Identity
Center (``/_aws``): a grant that completes, a revoke on every end, overlapping requests of one pair,
a failed revoke healed by the reconciler's sweep, and a pair the policy does not allow refused.

The server's Identity Center is the one ``config/roles.toml`` names (accounts production and
development, the sample permission sets); the test role ``sso-flash`` (``tests/conftest.py``) is
auto-approved ReadOnlyAccess on either account, held 5 s unless the request asks longer.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from execution_api.infra.config import read_config
from execution_api.models.policy import RolesPolicy
from tests.e2e.conftest import (
    APPROVERS,
    ApiClient,
    a_user,
    assignees,
    clear_faults,
    embedded_aws,
    follow,
    identity_center_user,
    inject_fault,
    invoke_function,
    start,
    wait_for,
    wait_for_grant,
    wait_for_signal,
)
from toolkit.template import ROOT, load_template

pytestmark = pytest.mark.e2e

CENTER = RolesPolicy.model_validate(read_config(ROOT / "config", "roles", "dev")).identity_center
assert CENTER is not None
READ_ONLY = CENTER.permission_sets["ReadOnlyAccess"]
ADMINISTRATOR = CENTER.permission_sets["AdministratorAccess"]
PRODUCTION, DEVELOPMENT = "111111111111", "222222222222"
# How often EventBridge delivers a status change to SyncStatusFunction before giving up (locally too).
STATUS_SYNC_ATTEMPTS = 1 + int(
    load_template()["Resources"]["SyncStatusFunction"]["Properties"]["EventInvokeConfig"]["MaximumRetryAttempts"]
)


def sso(role: str = "sso-flash", **fields: str) -> dict:
    return {"role": role, "provider": "aws-sso", **fields}


def holders(base_url: str, account: str = PRODUCTION, permission_set: str = READ_ONLY) -> set[str]:
    return assignees(base_url, CENTER.instance_arn, account, permission_set)


def person(api: Callable[..., ApiClient], local_server: str, groups: list[str] | None = None) -> tuple[ApiClient, str]:
    """A new caller and their Identity Store user (the server makes it at their first request)."""
    client = api(a_user(), groups)
    assert client.get("/roles").status == 200
    return client, identity_center_user(local_server, CENTER.identity_store_id, client.name)


def granted(client: ApiClient, account: str = PRODUCTION, duration: str = "PT30S") -> str:
    guid = start(client, "default", sso(account=account, duration=duration))["run_id"]
    wait_for_grant(client, guid, "granted")
    return guid


def test_get_roles_shows_each_aws_sso_roles_eligible_pairs(api: Callable[..., ApiClient]) -> None:
    roles = {role["name"]: role for role in api(a_user()).get("/roles").body["roles"]}

    assert roles["sso-operator"]["provider"] == "aws-sso"
    assert roles["sso-operator"]["eligible"] == [
        {"account": PRODUCTION, "account_name": "production", "permission_set": "ReadOnlyAccess"},
        {"account": DEVELOPMENT, "account_name": "development", "permission_set": "PowerUserAccess"},
        {"account": DEVELOPMENT, "account_name": "development", "permission_set": "AdministratorAccess"},
    ]
    assert roles["developer"]["eligible"] == []


def test_a_grant_completes_with_the_assignment_in_identity_center(
    api: Callable[..., ApiClient], local_server: str
) -> None:
    alice, user_id = person(api, local_server)

    guid = start(alice, "default", sso(account=DEVELOPMENT, duration="PT30S"))["run_id"]
    grant = wait_for_grant(alice, guid, "granted")

    assert (grant["provider"], grant["account"], grant["permission_set"]) == ("aws-sso", DEVELOPMENT, "ReadOnlyAccess")
    assert grant["target"] == f"{READ_ONLY}@{DEVELOPMENT}"
    assert user_id in holders(local_server, DEVELOPMENT)
    assert user_id not in holders(local_server, PRODUCTION)  # the pair asked for, and only it
    assert alice.post(f"/execution/{guid}/cancel").status == 200
    wait_for_grant(alice, guid, "revoked")


def test_the_hold_expires_and_the_assignment_goes(api: Callable[..., ApiClient], local_server: str) -> None:
    alice, user_id = person(api, local_server)
    guid = start(alice, "default", sso(account=PRODUCTION))["run_id"]  # held 5 s

    wait_for_grant(alice, guid, "granted")
    assert user_id in holders(local_server)
    grant = wait_for_grant(alice, guid, "revoked")

    assert grant["cause"] == "expired"
    assert alice.get(f"/executions/{guid}").body["state"] == "FINISHED"
    assert user_id not in holders(local_server)


@pytest.mark.parametrize(("action", "cause"), [("cancel", "cancelled"), ("terminate", "terminated")])
def test_cancel_and_terminate_after_the_grant_revoke_it(
    api: Callable[..., ApiClient], local_server: str, action: str, cause: str
) -> None:
    alice, user_id = person(api, local_server)
    guid = granted(alice)
    assert user_id in holders(local_server)

    assert alice.post(f"/execution/{guid}/{action}").status == 200

    assert wait_for_grant(alice, guid, "revoked")["cause"] == cause
    assert user_id not in holders(local_server)


def test_an_approved_pair_is_granted_and_a_denied_one_grants_nothing(
    api: Callable[..., ApiClient], local_server: str
) -> None:
    alice, user_id = person(api, local_server)
    approver = api(a_user(), [APPROVERS])
    request = sso("sso-operator", account=DEVELOPMENT, permission_set="AdministratorAccess", reason="e2e")
    approved = start(alice, "default", request)["run_id"]
    denied = start(alice, "default", {**request, "permission_set": "PowerUserAccess"})["run_id"]

    assert follow(approver, wait_for_signal(approver, approved)["approve_url"]).body["outcome"] == "approved"
    assert follow(approver, wait_for_signal(approver, denied)["deny_url"]).body["outcome"] == "denied"

    wait_for_grant(alice, approved, "granted")
    ended = wait_for(lambda: (record := alice.get(f"/executions/{denied}").body)["state"] != "INPROGRESS" and record)
    assert (ended["state"], ended["grant"]["state"]) == ("FINISHED", None)
    assert user_id in holders(local_server, DEVELOPMENT, ADMINISTRATOR)
    assert user_id not in holders(local_server, DEVELOPMENT, CENTER.permission_sets["PowerUserAccess"])
    assert alice.post(f"/execution/{approved}/cancel").status == 200
    wait_for_grant(alice, approved, "revoked")
    assert user_id not in holders(local_server, DEVELOPMENT, ADMINISTRATOR)


def test_a_record_deleted_as_its_grant_ends_still_has_it_revoked(
    api: Callable[..., ApiClient], local_server: str
) -> None:
    alice, user_id = person(api, local_server)
    admin = api(a_user(), ["execution-admins"])
    guid = granted(alice)

    assert alice.post(f"/execution/{guid}/cancel").status == 200
    assert alice.delete(f"/executions/{guid}").status == 200  # the record goes before the execution ends

    wait_for(lambda: user_id not in holders(local_server))
    trail = admin.get(f"/executions/{guid}/audit").body["events"]
    assert [event["detail"]["cause"] for event in trail if event["type"] == "revoked"] == ["cancelled"]


def test_overlapping_requests_of_one_pair_are_counted(api: Callable[..., ApiClient], local_server: str) -> None:
    alice, user_id = person(api, local_server)
    first = start(alice, "default", sso(account=PRODUCTION, duration="PT30S"))["run_id"]
    second = start(alice, "default", sso(account=PRODUCTION, duration="PT30S"))["run_id"]
    wait_for_grant(alice, first, "granted")
    wait_for_grant(alice, second, "granted")

    assert alice.post(f"/execution/{first}/cancel").status == 200
    wait_for_grant(alice, first, "revoked")
    assert user_id in holders(local_server)  # the second still holds it

    assert alice.post(f"/execution/{second}/terminate").status == 200
    wait_for_grant(alice, second, "revoked")
    assert user_id not in holders(local_server)


def test_a_failed_revoke_stays_visible_and_the_sweep_heals_it(api: Callable[..., ApiClient], local_server: str) -> None:
    alice, user_id = person(api, local_server)
    admin = api(a_user(), ["execution-admins"])
    guid = granted(alice)

    def status_sync_failures() -> int:
        trail = admin.get(f"/executions/{guid}/audit").body["events"]
        return sum(1 for event in trail if (event["type"], event["actor"]) == ("revoke_failed", "status-sync"))

    # Identity Center refuses to delete this user's assignments (e.g. a Deny added by mistake).
    inject_fault(
        local_server, "sso-admin", "DeleteAccountAssignment", "AccessDeniedException", {"PrincipalId": user_id}
    )
    try:
        assert alice.post(f"/execution/{guid}/cancel").status == 200
        failed = wait_for_grant(alice, guid, "revoke_failed")
        assert (failed["cause"], failed["revoke_error"]) == ("cancelled", "AccessDeniedException")
        wait_for(lambda: status_sync_failures() == STATUS_SYNC_ATTEMPTS)  # EventBridge's retries, then it gave up
        assert user_id in holders(local_server)
        assert alice.get(f"/executions/{guid}").body["state"] == "STOPPED"
    finally:
        clear_faults(local_server)

    invoke_function(local_server, "ReconcileFunction")  # its scheduled pass, now

    grant = wait_for_grant(alice, guid, "revoked")
    assert grant["cause"] == "sweep"
    assert user_id not in holders(local_server)
    trail = admin.get(f"/executions/{guid}/audit").body["events"]
    assert [(event["actor"], event["detail"]["cause"]) for event in trail if event["type"] == "revoked"] == [
        ("reconciler", "sweep")
    ]


@pytest.mark.parametrize(
    ("request_input", "status", "field"),
    [
        (
            sso("sso-operator", account=PRODUCTION, permission_set="AdministratorAccess", reason="x"),
            403,
            "input.permission_set",
        ),
        (sso("sso-operator", account="333333333333", reason="x"), 403, "input.account"),
        (sso(account=PRODUCTION, permission_set="AdministratorAccess"), 403, "input.permission_set"),
        (sso(), 400, "input.account"),
        (sso("sso-operator", account=DEVELOPMENT, reason="x"), 400, "input.permission_set"),
        (sso(account="12345"), 400, "input.account"),
        ({"role": "sso-flash", "provider": "aws", "account": PRODUCTION}, 400, "input.provider"),
        ({"role": "developer", "provider": "aws", "account": PRODUCTION, "reason": "x"}, 400, "input.account"),
    ],
    ids=[
        "admin-on-production",
        "unknown-account",
        "permission-set-not-in-the-role",
        "several-accounts",
        "several-permission-sets",
        "not-an-account-id",
        "wrong-provider",
        "account-for-an-iam-group-role",
    ],
)
def test_a_pair_the_policy_does_not_allow_is_refused_naming_the_field(
    api: Callable[..., ApiClient], local_server: str, request_input: dict, status: int, field: str
) -> None:
    alice, user_id = person(api, local_server)

    reply = alice.post("/execution", {"workflow": "default", "input": request_input})

    assert reply.status == status, reply
    assert [detail["field"] for detail in reply.body["details"]] == [field], reply.body
    assert alice.get("/executions").body["total"] == 0  # nothing started
    assert user_id not in holders(local_server, PRODUCTION, ADMINISTRATOR)


def test_a_requester_with_no_identity_center_user_is_a_400(api: Callable[..., ApiClient], local_server: str) -> None:
    alice, user_id = person(api, local_server)
    # Not (or no longer) in the identity store.
    embedded_aws(local_server, "identitystore").delete_user(IdentityStoreId=CENTER.identity_store_id, UserId=user_id)

    reply = alice.post("/execution", {"workflow": "default", "input": sso(account=PRODUCTION)})

    assert reply.status == 400, reply
    assert reply.body["message"] == (
        "input.role: role 'sso-flash' is granted in IAM Identity Center, and no Identity Center user has "
        f"your email ({alice.name}) as emails.value"
    )
