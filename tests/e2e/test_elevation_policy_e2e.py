"""Access elevation you can trust, over HTTP against the local server: the policy decides who may
request which role and who approves it, the requester never approves their own request under any
spelling of their identity, group names cannot be spoofed, and an email counts only verified.

The policy is the repository's (``config/roles.toml``) plus the tests' ``flash`` role; every
membership is read from the server's embedded IAM (``/_aws``), as a user would look at it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from local.auth import mint
from tests.e2e.conftest import (
    APPROVERS,
    ApiClient,
    a_user,
    elevation,
    follow,
    group_members,
    pending_signal,
    start,
    token_of,
    wait_for,
    wait_for_signal,
)

pytestmark = pytest.mark.e2e

ADMINS = "execution-admins"


def requested(client: ApiClient, role: str, **extra: object) -> tuple[int, dict]:
    status, body, _ = client.post("/execution", {"workflow": "default", "input": elevation(role, **extra)})
    return status, body


def assert_refused(status: int, body: dict, expected: int, field: str | None = None) -> None:
    assert status == expected, body
    assert body["statusCode"] == expected
    if field:
        assert field in body["message"], body
        assert field in [detail["field"] for detail in body.get("details", [{"field": field}])], body


def assert_nothing_started(client: ApiClient) -> None:
    assert client.get("/executions").body["total"] == 0


# -- the roles policy -----------------------------------------------------------------------------------


def test_the_roles_a_caller_may_request_come_with_their_limits(api: Callable[..., ApiClient]) -> None:
    status, body, _ = api(a_user()).get("/roles")

    assert status == 200, body
    roles = {role["name"]: role for role in body["roles"]}
    assert {"readonly", "developer", "admin", "flash"} <= set(roles)
    assert "incident-commander" not in roles  # for the on-call group only
    assert (roles["readonly"]["auto_approve"], roles["readonly"]["required_approvals"]) == (True, 0)
    assert (roles["developer"]["required_approvals"], roles["developer"]["approver_groups"]) == (1, [APPROVERS])
    assert (roles["admin"]["required_approvals"], roles["admin"]["max_duration"]) == (2, "PT2H")
    oncall = {role["name"]: role for role in api(a_user(), ["oncall"]).get("/roles").body["roles"]}
    assert oncall["incident-commander"]["ticket_pattern"] == "^INC-[0-9]+$"


def test_the_documented_request_works_for_an_eligible_user(api: Callable[..., ApiClient]) -> None:
    alice = api(a_user())
    status, body, _ = alice.post(
        "/execution",
        {"workflow": "default", "input": {"role": "admin", "provider": "aws", "reason": "Emergency maintenance"}},
    )

    assert status == 201, body
    assert alice.post(f"/execution/{body['run_id']}/terminate").status == 200


def test_a_role_not_in_the_policy_is_a_400_naming_input_role(api: Callable[..., ApiClient]) -> None:
    alice = api(a_user())

    assert_refused(*requested(alice, "god-mode"), 400, "input.role")
    assert_nothing_started(alice)


@pytest.mark.parametrize(
    "extra",
    [{"approvers": ["friend@example.com"]}, {"required_approvals": 0}, {"auto_approve": True}],
    ids=["approvers", "required_approvals", "auto_approve"],
)
def test_a_request_that_names_its_approvers_is_a_400(api: Callable[..., ApiClient], extra: dict) -> None:
    alice = api(a_user())

    status, body = requested(alice, "developer", **extra)

    assert_refused(status, body, 400, f"input.{next(iter(extra))}")
    assert_nothing_started(alice)


def test_a_requester_who_is_not_eligible_is_forbidden(api: Callable[..., ApiClient]) -> None:
    alice = api(a_user(), ["engineers"])

    assert_refused(*requested(alice, "incident-commander", ticket="INC-1"), 403, "input.role")
    assert_nothing_started(alice)
    oncall = api(a_user(), ["oncall"])
    status, body = requested(oncall, "incident-commander", ticket="INC-1")
    assert status == 201, body
    oncall.post(f"/execution/{body['run_id']}/terminate")


@pytest.mark.parametrize(
    ("role", "extra", "field"),
    [
        ("admin", {"duration": "PT3H"}, "input.duration"),
        ("developer", {"reason": ""}, "input.reason"),
        ("incident-commander", {"ticket": "CHG-7"}, "input.ticket"),
        ("incident-commander", {}, "input.ticket"),
        ("developer", {"provider": "gcp"}, "input.provider"),
    ],
)
def test_a_request_outside_the_roles_limits_is_a_400(
    api: Callable[..., ApiClient], role: str, extra: dict, field: str
) -> None:
    requester = api(a_user(), ["oncall"])

    assert_refused(*requested(requester, role, **extra), 400, field)
    assert_nothing_started(requester)


# -- identity ---------------------------------------------------------------------------------------


def test_an_unverified_email_gets_no_grant(local_server: str, token_for: Callable[..., str]) -> None:
    """Under an unverified email anybody could name anybody's IAM user."""
    victim = a_user()
    impostor = ApiClient(local_server, token_for(victim, email_verified=False))

    assert_refused(*requested(impostor, "readonly"), 400, "input.role")
    assert_nothing_started(impostor)
    assert victim not in group_members(local_server, "elevate-readonly")


def test_a_subject_that_reads_like_an_email_is_not_that_person(
    api: Callable[..., ApiClient], local_server: str, local_issuer: str, jwt_key_file: str
) -> None:
    alice_name = a_user()
    alice = api(alice_name)
    guid = start(alice, "default", elevation("developer"))["run_id"]
    # A token with no email whose subject is Alice's email: the identity was ``email or sub``.
    namesake = ApiClient(local_server, mint("namesake", sub=alice_name, issuer=local_issuer, key_file=jwt_key_file))

    assert namesake.get(f"/executions/{guid}").status == 404
    assert namesake.get("/executions").body["total"] == 0
    assert namesake.post(f"/execution/{guid}/cancel").status == 404
    assert_refused(*requested(namesake, "readonly"), 400, "input.role")
    assert alice.post(f"/execution/{guid}/terminate").status == 200


@pytest.mark.parametrize("spelling", ["same", "case", "alias"])
def test_the_requester_never_approves_their_own_request(
    api: Callable[..., ApiClient], local_server: str, local_issuer: str, jwt_key_file: str, spelling: str
) -> None:
    """Alice is an approver herself; her request's links go to her group. Neither her token, nor
    one with her email in other letters, nor another account with her verified email decides it."""
    alice_name = a_user()
    alice = api(alice_name, [APPROVERS])
    guid = start(alice, "default", elevation("developer"))["run_id"]
    link = wait_for_signal(api(a_user(), [APPROVERS]), guid)["approve_url"]
    if spelling == "same":
        herself = alice
    elif spelling == "case":
        herself = api(alice_name.upper(), [APPROVERS])
    else:
        token = mint(alice_name.title(), [APPROVERS], sub="another-account", issuer=local_issuer, key_file=jwt_key_file)
        herself = ApiClient(local_server, token)

    assert pending_signal(herself, guid) is None
    status, body, _ = follow(herself, link)

    assert_refused(status, body, 403)
    assert "your own request" in body["message"]
    assert alice.get(f"/executions/{guid}").body["approved_by"] is None
    assert alice.post(f"/execution/{guid}/terminate").status == 200


@pytest.mark.parametrize(
    "groups",
    [
        [f"x,{APPROVERS}"],
        [f"Not {APPROVERS}"],
        [f"[{APPROVERS}]"],
        [f"{APPROVERS} "],
        [APPROVERS.upper()],
    ],
)
def test_group_names_built_to_spoof_membership_give_none(
    api: Callable[..., ApiClient], local_server: str, local_issuer: str, jwt_key_file: str, groups: list[str]
) -> None:
    alice = api(a_user())
    guid = start(alice, "default", elevation("developer"))["run_id"]
    link = wait_for_signal(api(a_user(), [APPROVERS]), guid)["approve_url"]
    spoofer = api(a_user(), groups)
    # The flattened form HTTP API would make of an array claim: not a JSON array, so no groups.
    flattened = mint(
        a_user(),
        issuer=local_issuer,
        key_file=jwt_key_file,
        extra_claims={"execution_api_groups": f"[{APPROVERS} {ADMINS}]"},
    )

    for client in (spoofer, ApiClient(local_server, flattened)):
        assert pending_signal(client, guid) is None
        assert_refused(*follow(client, link)[:2], 403)
        assert client.get(f"/executions/{guid}").status == 404  # not an admin either
        assert client.get(f"/executions/{guid}/audit").status == 403
    assert alice.post(f"/execution/{guid}/terminate").status == 200


# -- the audit trail --------------------------------------------------------------------------------


def test_each_step_is_audited_and_the_trail_outlives_the_record(
    api: Callable[..., ApiClient], local_server: str
) -> None:
    alice = api(a_user())
    approver = api(a_user(), [APPROVERS])
    admin = api(a_user(), [ADMINS])
    guid = start(alice, "default", elevation("developer", reason="deploy 42"))["run_id"]
    token = token_of(wait_for_signal(approver, guid)["approve_url"])

    assert approver.post(f"/execution/{guid}/signal", {"input": token, "comment": "LGTM"}).status == 200
    wait_for(lambda: (alice.get(f"/executions/{guid}").body.get("grant") or {}).get("state") == "granted")
    assert alice.post(f"/execution/{guid}/cancel").status == 200
    wait_for(lambda: (alice.get(f"/executions/{guid}").body.get("grant") or {}).get("state") == "revoked")
    assert alice.delete(f"/executions/{guid}").status == 200

    assert alice.get(f"/executions/{guid}/audit").status == 403
    status, body, _ = admin.get(f"/executions/{guid}/audit")
    assert status == 200, body
    events = [(event["type"], event["actor"]) for event in body["events"]]
    assert events == [
        ("requested", alice.name),
        ("notified", "notifier"),
        ("approved", approver.name),
        ("granted", "grant"),
        ("revoked", "status-sync"),
    ]
    details = {event["type"]: event["detail"] for event in body["events"]}
    assert details["notified"]["to"] == f"group:{APPROVERS}"
    assert details["approved"]["comment"] == "LGTM"
    assert details["revoked"]["cause"] == "cancelled"
    assert alice.name not in group_members(local_server, "elevate-developer")
