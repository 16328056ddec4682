"""The IAM the stack gives the ``aws-sso`` provider, against the policy: the functions may act on
exactly the Identity Center instance, permission sets and accounts that each stage's
``config/roles.toml`` names, nothing when the provider is off, and a ``samconfig.toml`` environment
that turns it on passes what its stage's policy names. Read from the template as the SAM translator
deploys it, its intrinsic functions resolved (``toolkit.template.Resolver``).
"""

from __future__ import annotations

import shlex
import tomllib
from typing import Any

import pytest

from execution_api.infra.config import read_config
from execution_api.models.policy import IdentityCenterRole, RolesPolicy
from tests.sam import transformed
from toolkit.template import ACCOUNT_ID, ROOT, Resolver, identity_center_parameters

STAGES = ("dev", "staging", "prod")
# Where the provider's calls are made: grant, revoke (status sync, grant failure) and sweep; and the
# requester's Identity Store user, found at the request.
ASSIGNING = {"GrantAccessFunction", "SyncStatusFunction", "ReconcileFunction"}
FINDING_USERS = {"StartExecutionFunction"}
OWN_IDENTITY_PROVIDER = {"JwtIssuer": "https://issuer.example.test", "JwtAudience": "execution-api"}


def stage_policy(stage: str) -> RolesPolicy:
    return RolesPolicy.model_validate(read_config(ROOT / "config", "roles", stage))


def identity_center_grants(parameters: dict[str, Any], partition: str = "aws") -> dict[str, set[tuple[str, str]]]:
    """For each function, every ``(action, resource)`` of IAM Identity Center and the Identity Store
    its role allows, in the deployed template with these parameter values."""
    parameters = {**OWN_IDENTITY_PROVIDER, **parameters}
    template = transformed(parameters)
    resolver = Resolver(template, ACCOUNT_ID, parameter_overrides=parameters)
    resolver.pseudo["AWS::Partition"] = partition
    for logical_id in template["Resources"]:
        arn = f"arn:{partition}:local:::{logical_id}"
        resolver.register_placeholder(logical_id, arn, lambda attribute, arn=arn: arn)
    managed = {
        f"arn:{partition}:local:::{logical_id}": spec["Properties"]["PolicyDocument"]
        for logical_id, spec in template["Resources"].items()
        if spec["Type"] == "AWS::IAM::ManagedPolicy" and resolver.is_enabled(logical_id)
    }
    grants: dict[str, set[tuple[str, str]]] = {}
    for logical_id, spec in template["Resources"].items():
        if spec["Type"] != "AWS::IAM::Role" or not logical_id.endswith("FunctionRole"):
            continue
        role = resolver.resolve(spec["Properties"], logical_id)
        documents = [policy["PolicyDocument"] for policy in role.get("Policies", [])]
        documents += [
            resolver.resolve(managed[arn], arn) for arn in role.get("ManagedPolicyArns", []) if arn in managed
        ]
        found = {
            (action, resource)
            for document in documents
            for statement in document["Statement"]
            for action in _listed(statement["Action"])
            if action.split(":")[0] in ("sso", "identitystore")
            for resource in _listed(statement["Resource"])
        }
        if found:
            grants[logical_id.removesuffix("Role")] = found
    return grants


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def expected_grants(policy: RolesPolicy, partition: str = "aws") -> dict[str, set[tuple[str, str]]]:
    """What the provider needs for what ``policy`` names, and not one resource more."""
    scope = policy.identity_center_scope()
    assert scope is not None
    assigned = {
        scope.instance_arn,
        *scope.permission_set_arns,
        *(f"arn:{partition}:sso:::account/{account}" for account in scope.account_ids),
    }
    assigning = {
        *(
            (action, resource)
            for action in ("sso:CreateAccountAssignment", "sso:DeleteAccountAssignment", "sso:ListAccountAssignments")
            for resource in assigned
        ),
        ("sso:DescribeAccountAssignmentCreationStatus", scope.instance_arn),
        ("sso:DescribeAccountAssignmentDeletionStatus", scope.instance_arn),
    }
    finding = {
        (
            "identitystore:GetUserId",
            f"arn:{partition}:identitystore::{ACCOUNT_ID}:identitystore/{scope.identity_store_id}",
        ),
        ("identitystore:GetUserId", f"arn:{partition}:identitystore:::user/*"),
    }
    return {**dict.fromkeys(ASSIGNING, assigning), **dict.fromkeys(FINDING_USERS, finding)}


@pytest.fixture(autouse=True)
def _region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # the SAM translator's


def test_with_the_provider_off_no_function_may_touch_identity_center():
    assert identity_center_grants({}) == {}


@pytest.mark.parametrize("stage", STAGES)
def test_the_functions_may_assign_exactly_what_each_stages_policy_names(stage):
    policy = stage_policy(stage)
    assert any(isinstance(role, IdentityCenterRole) for role in policy.roles.values())
    scope = policy.identity_center_scope()

    assert identity_center_grants(identity_center_parameters(scope)) == expected_grants(policy)


@pytest.mark.parametrize("partition", ["aws-cn", "aws-us-gov"])
def test_account_arns_are_in_the_stacks_partition(partition):
    policy = stage_policy("dev")
    parameters = identity_center_parameters(policy.identity_center_scope())
    parameters["IdentityCenterInstanceArn"] = parameters["IdentityCenterInstanceArn"].replace(
        "arn:aws:", f"arn:{partition}:"
    )
    parameters["IdentityCenterPermissionSetArns"] = [
        arn.replace("arn:aws:", f"arn:{partition}:") for arn in parameters["IdentityCenterPermissionSetArns"]
    ]

    accounts = {
        resource
        for action, resource in identity_center_grants(parameters, partition)["GrantAccessFunction"]
        if ":account/" in resource
    }

    assert accounts == {f"arn:{partition}:sso:::account/{account}" for account in ("111111111111", "222222222222")}


def deployment_mismatches(samconfig: dict[str, Any]) -> list[str]:
    """Each ``samconfig.toml`` environment that turns the provider on and passes other values than
    its stage's policy names (``IdentityCenter*``, ``IdentityStoreId``)."""
    mismatches = []
    for environment, sections in samconfig.items():
        if not isinstance(sections, dict):
            continue  # version
        overrides = sections.get("deploy", {}).get("parameters", {}).get("parameter_overrides")
        if not overrides:
            continue
        if isinstance(overrides, str):  # SAM takes one string of Key=Value too
            overrides = shlex.split(overrides)
        given = dict(str(override).split("=", 1) for override in overrides)
        if not given.get("IdentityCenterInstanceArn"):
            continue  # the provider is off in that deployment
        scope = stage_policy(given.get("Stage", "dev")).identity_center_scope()
        expected = identity_center_parameters(scope) if scope else {}
        for name, value in expected.items():
            passed = given.get(name, "")
            if (sorted(passed.split(",")) if isinstance(value, list) else passed) != (
                sorted(value) if isinstance(value, list) else value
            ):
                mismatches.append(f"{environment}: {name}={passed}, but the policy names {value}")
    return mismatches


def test_each_deployment_that_turns_the_provider_on_passes_what_its_policy_names():
    with (ROOT / "samconfig.toml").open("rb") as file:
        samconfig = tomllib.load(file)

    assert deployment_mismatches(samconfig) == []


def test_a_deployment_that_drifted_from_its_policy_is_caught():
    scope = stage_policy("prod").identity_center_scope()
    exact = [
        f"{name}={','.join(value) if isinstance(value, list) else value}"
        for name, value in identity_center_parameters(scope).items()
    ]
    drifted = [override for override in exact if not override.startswith("IdentityCenterAccountIds=")]
    drifted.append("IdentityCenterAccountIds=111111111111")
    samconfig = {
        "exact": {"deploy": {"parameters": {"parameter_overrides": ["Stage=prod", *exact]}}},
        "drifted": {"deploy": {"parameters": {"parameter_overrides": ["Stage=prod", *drifted]}}},
        "off": {"deploy": {"parameters": {"parameter_overrides": ["Stage=prod"]}}},
    }

    assert deployment_mismatches(samconfig) == [
        "drifted: IdentityCenterAccountIds=111111111111, but the policy names ['111111111111', '222222222222']"
    ]
