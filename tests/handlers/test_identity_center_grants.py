"""The ``aws-sso`` provider at handler level, where Identity Center's answers can be forged: a grant
and a revoke count as done only once the asynchronous request succeeded, one that fails or does not
end in time is a failure, a failed revoke stays visible until the sweep heals it, and no assignment
made outside this API is ever removed.

The embedded Identity Center is the repository's dev policy's (``config/roles.toml``); each test has
users of its own, since assignments outlive the tables that are emptied after each test.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from execution_api.dal import repositories
from execution_api.infra.config import read_config
from execution_api.models.domain import ExecutionState
from execution_api.models.policy import RolesPolicy
from tests.events import http_event, status_change
from toolkit.functions import function_module
from toolkit.template import ROOT
from toolkit.waiting import wait_until

POLICY = RolesPolicy.model_validate(read_config(ROOT / "config", "roles", "dev"))
CENTER = POLICY.identity_center
assert CENTER is not None
READ_ONLY = CENTER.permission_sets["ReadOnlyAccess"]
PRODUCTION = "111111111111"
ROLE = "sso-readonly"  # auto-approved: ReadOnlyAccess on either account
FORGED_REQUEST = str(uuid.uuid4())  # the id of a request status the tests answer themselves


@pytest.fixture(scope="module")
def _identity_center(_module_stack):
    _module_stack.embedded.create_identity_center(
        CENTER.instance_arn, CENTER.identity_store_id, dict(CENTER.permission_sets)
    )
    return _module_stack


@pytest.fixture
def identity_center(_identity_center, aws, settings_env):
    """The provider on: the stack names the policy's instance (``IdentityCenterInstanceArn``)."""
    settings_env(IDENTITY_CENTER_INSTANCE_ARN=CENTER.instance_arn, IDENTITY_CENTER_WAIT_SECONDS="5")
    return aws.own_client("sso-admin")


@pytest.fixture
def person(aws) -> Callable[[], tuple[str, str]]:
    """A new person with an Identity Store user: ``(email, user id)``."""

    def make() -> tuple[str, str]:
        email = f"user-{uuid.uuid4().hex[:10]}@example.com"
        aws.embedded.ensure_identity_store_user(CENTER.identity_store_id, email)
        user_id = aws.own_client("identitystore").get_user_id(
            IdentityStoreId=CENTER.identity_store_id,
            AlternateIdentifier={"UniqueAttribute": {"AttributePath": "emails.value", "AttributeValue": email}},
        )["UserId"]
        return email, user_id

    return make


def assignees(sso, account: str = PRODUCTION, permission_set: str = READ_ONLY) -> set[str]:
    listed = sso.list_account_assignments(
        InstanceArn=CENTER.instance_arn, AccountId=account, PermissionSetArn=permission_set
    )["AccountAssignments"]
    return {each["PrincipalId"] for each in listed}


def assignment(user_id: str, account: str = PRODUCTION, permission_set: str = READ_ONLY) -> dict:
    return {
        "InstanceArn": CENTER.instance_arn,
        "TargetId": account,
        "TargetType": "AWS_ACCOUNT",
        "PermissionSetArn": permission_set,
        "PrincipalType": "USER",
        "PrincipalId": user_id,
    }


@pytest.fixture
def request_grant(invoke, repository, stream, lambda_context) -> Callable[..., tuple[str, dict]]:
    """Starts an ``sso-readonly`` elevation on production for ``email`` and runs the grant step
    (what the table's stream would): ``(guid, what the grant function returned)``."""

    def run(email: str) -> tuple[str, dict]:
        body = {"workflow": "default", "input": {"role": ROLE, "provider": "aws-sso", "account": PRODUCTION}}
        started = invoke("start_execution", http_event("start_execution", body=body, user=email))
        assert started.status == 201, started
        guid = started.body["run_id"]
        wait_until(lambda: repository.waiting_task_token(guid))
        return guid, function_module("grant_access").lambda_handler(stream(guid), lambda_context)

    return run


def end(guid: str, invoke, repository, lambda_context, email: str) -> None:
    """Terminates the elevation and delivers its status change (which revokes)."""
    terminated = invoke(
        "terminate_execution", http_event("terminate_execution", path_parameters={"id": guid}, user=email)
    )
    assert terminated.status == 200, terminated
    function_module("sync_status").lambda_handler(
        status_change(guid, repository.get(guid).workflow_id, "ABORTED"), lambda_context
    )


def audit(guid: str) -> list[tuple[str, dict]]:
    return [(event.type, event.detail) for event in repositories.audit().events(guid)]


def test_a_grant_counts_only_once_identity_center_says_the_assignment_succeeded(
    identity_center, person, request_grant, repository, aws
):
    email, user_id = person()
    calls: list[str] = []
    aws.client("sso-admin").meta.events.register(
        "before-parameter-build.sso-admin", lambda model, **_: calls.append(model.name)
    )

    guid, granted = request_grant(email)

    assert granted == {"granted": 1}
    # Not there yet, so created; the creation answered IN_PROGRESS, and its status was asked for.
    assert calls == [
        "ListAccountAssignments",
        "CreateAccountAssignment",
        "DescribeAccountAssignmentCreationStatus",
    ]
    assert user_id in assignees(identity_center)
    record = repository.get(guid)
    assert (record.grant_status.state, record.elevation.account, record.elevation.permission_set) == (
        "granted",
        PRODUCTION,
        "ReadOnlyAccess",
    )
    assert record.elevation.principal == user_id


def test_a_creation_that_fails_fails_the_grant_and_leaves_nothing(
    identity_center, person, request_grant, repository, fail_aws, settings_env, aws
):
    email, user_id = person()
    settings_env(IDENTITY_CENTER_WAIT_SECONDS="0.5")
    failed = {"Status": "FAILED", "FailureReason": "permission set not provisioned"}
    fail_aws(
        "sso-admin",
        "DescribeAccountAssignmentCreationStatus",
        reply={"AccountAssignmentCreationStatus": {**failed, "RequestId": FORGED_REQUEST}},
    )

    guid, granted = request_grant(email)

    assert granted == {"granted": 0}
    assert user_id not in assignees(identity_center)  # what the request created is deleted again
    trail = audit(guid)
    assert [kind for kind, _ in trail] == ["requested", "revoked", "grant_failed"]
    assert trail[1][1]["cause"] == "grant_failed"
    assert "FAILED: permission set not provisioned" in trail[2][1]["cause"]
    assert repositories.grants().owned("aws-sso") == []
    assert workflow_end(aws, repository, guid) == ("FAILED", "GrantFailed")


def test_a_creation_that_never_ends_fails_the_grant_and_its_removal_waits_for_it(
    identity_center, person, request_grant, repository, fail_aws, settings_env, aws, lambda_context
):
    email, user_id = person()
    settings_env(IDENTITY_CENTER_WAIT_SECONDS="0.5")
    # Identity Center is still creating the assignment: its request says IN_PROGRESS, and until it
    # has ended the assignment is not listed, so a deletion now would find nothing to delete.
    in_progress = fail_aws(
        "sso-admin",
        "DescribeAccountAssignmentCreationStatus",
        reply={"AccountAssignmentCreationStatus": {"Status": "IN_PROGRESS", "RequestId": FORGED_REQUEST}},
    )
    unlisted = fail_aws("sso-admin", "ListAccountAssignments", reply={"AccountAssignments": []})

    guid, granted = request_grant(email)

    assert granted == {"granted": 0}
    assert workflow_end(aws, repository, guid) == ("FAILED", "GrantFailed")
    trail = audit(guid)
    assert [kind for kind, _ in trail] == ["requested", "revoke_failed", "grant_failed"]
    assert "creation still IN_PROGRESS" in trail[1][1]["error"]
    assert "still IN_PROGRESS when the wait ran out" in trail[2][1]["cause"]
    assert repository.get(guid).grant_status.state == "revoke_failed"
    assert [principal for _, principal in repositories.grants().owned("aws-sso")] == [user_id]  # still marked

    in_progress.remove()  # the creation has ended: the assignment exists and is listed
    unlisted.remove()
    assert user_id in assignees(identity_center)
    settings_env(RECONCILE_GRACE_SECONDS="300")
    outcomes = function_module("reconcile").lambda_handler({}, lambda_context)

    assert outcomes == {"grant_revoked": 1}
    assert user_id not in assignees(identity_center)
    assert repository.get(guid).grant_status.state == "revoked"
    assert repositories.grants().owned("aws-sso") == []


def workflow_end(aws, repository, guid: str) -> tuple[str, str]:
    sfn = aws.own_client("stepfunctions")
    arn = repository.get(guid).workflow_id
    execution = wait_until(lambda: (found := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and found)
    return execution["status"], execution["error"]


def test_a_revoke_whose_deletion_fails_stays_visible_and_the_sweep_heals_it(
    identity_center, person, request_grant, invoke, repository, lambda_context, fail_aws, settings_env
):
    email, user_id = person()
    guid, _ = request_grant(email)
    # Identity Center takes the deletion request, and then says it failed.
    deleting = fail_aws(
        "sso-admin",
        "DeleteAccountAssignment",
        reply={"AccountAssignmentDeletionStatus": {"Status": "IN_PROGRESS", "RequestId": FORGED_REQUEST}},
    )
    failed = fail_aws(
        "sso-admin",
        "DescribeAccountAssignmentDeletionStatus",
        reply={"AccountAssignmentDeletionStatus": {"Status": "FAILED", "FailureReason": "internal failure"}},
    )

    with pytest.raises(Exception, match="FAILED: internal failure"):  # the async invoke is retried, then alarmed
        end(guid, invoke, repository, lambda_context, email)

    assert len(deleting.calls) == len(failed.calls) == 1
    assert user_id in assignees(identity_center)
    record = repository.get(guid)
    assert record.state is ExecutionState.TERMINATED
    assert record.grant_status.state == "revoke_failed"
    assert record.grant_status.revoke_error == "assignment deletion FAILED: internal failure"
    assert audit(guid)[-1][0] == "revoke_failed"

    deleting.remove()
    failed.remove()
    settings_env(RECONCILE_GRACE_SECONDS="300")
    outcomes = function_module("reconcile").lambda_handler({}, lambda_context)

    assert outcomes == {"grant_revoked": 1}
    assert user_id not in assignees(identity_center)
    assert repository.get(guid).grant_status.state == "revoked"
    assert [detail["cause"] for kind, detail in audit(guid) if kind == "revoked"] == ["sweep"]
    assert repositories.grants().owned("aws-sso") == []


def test_standing_assignments_made_outside_the_api_are_never_removed(
    identity_center, person, request_grant, invoke, repository, lambda_context, settings_env
):
    email, user_id = person()
    _, bystander = person()
    for principal in (user_id, bystander):  # an administrator's own assignments
        identity_center.create_account_assignment(**assignment(principal))

    guid, granted = request_grant(email)

    assert granted == {"granted": 1}
    (detail,) = [detail for kind, detail in audit(guid) if kind == "granted"]
    assert "standing" in detail
    end(guid, invoke, repository, lambda_context, email)
    assert repository.get(guid).grant_status.state == "revoked"
    settings_env(RECONCILE_GRACE_SECONDS="300")
    assert function_module("reconcile").lambda_handler({}, lambda_context) == {}

    assert {user_id, bystander} <= assignees(identity_center)


def test_the_sweep_removes_an_assignment_the_api_created_that_no_grant_holds(
    identity_center, person, request_grant, aws, lambda_context, settings_env
):
    email, user_id = person()
    guid, _ = request_grant(email)
    # As if the grant's ledger entry were lost after the assignment was made (the mark stays).
    grant = repositories.grants().get(guid).grant
    repositories.grants().release(guid, grant)
    aws.own_client("dynamodb").delete_item(
        TableName=aws.table_name, Key={"pk": {"S": f"GRANT#{guid}"}, "sk": {"S": "GRANT"}}
    )
    settings_env(RECONCILE_GRACE_SECONDS="300")

    outcomes = function_module("reconcile").lambda_handler({}, lambda_context)

    assert outcomes == {"access_removed": 1}
    assert user_id not in assignees(identity_center)
    removal = repositories.audit().events("sweep")[-1]
    assert (removal.type, removal.detail["principal"], removal.detail["target"]) == (
        "revoked",
        user_id,
        f"{READ_ONLY}@{PRODUCTION}",
    )
    assert repositories.grants().owned("aws-sso") == []


def test_overlapping_grants_of_one_pair_keep_the_assignment_until_the_last_ends(
    identity_center, person, request_grant, invoke, repository, lambda_context
):
    email, user_id = person()
    first, _ = request_grant(email)
    second, _ = request_grant(email)

    end(first, invoke, repository, lambda_context, email)
    assert user_id in assignees(identity_center)

    end(second, invoke, repository, lambda_context, email)
    assert user_id not in assignees(identity_center)
    assert [repository.get(guid).grant_status.state for guid in (first, second)] == ["revoked", "revoked"]


def test_a_requester_without_an_identity_center_user_is_a_400(identity_center, invoke):
    body = {"workflow": "default", "input": {"role": ROLE, "provider": "aws-sso", "account": PRODUCTION}}

    reply = invoke("start_execution", http_event("start_execution", body=body, user="nobody@example.com"))

    assert reply.status == 400, reply
    assert reply.body["message"].startswith("input.role: role 'sso-readonly' is granted in IAM Identity Center")
    assert "nobody@example.com" in reply.body["message"]


@pytest.mark.parametrize("deployed", [None, "arn:aws:sso:::instance/ssoins-0000000000000000"], ids=["off", "another"])
@pytest.mark.usefixtures("_identity_center")
def test_the_provider_is_off_unless_the_stack_names_the_policys_instance(settings_env, invoke, person, deployed):
    settings_env(IDENTITY_CENTER_INSTANCE_ARN=deployed or "")
    email, _ = person()
    body = {"workflow": "default", "input": {"role": ROLE, "provider": "aws-sso", "account": PRODUCTION}}

    roles = invoke("list_roles", http_event("list_roles", user=email)).body["roles"]
    started = invoke("start_execution", http_event("start_execution", body=body, user=email))

    assert [role["name"] for role in roles if role["provider"] == "aws-sso"] == []
    assert started.status == 400, started
    assert started.body["message"].startswith("input.role: role 'sso-readonly' cannot be granted here")
