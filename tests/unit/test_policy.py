"""The roles policy (``config/roles.toml``): every stage's policy as deployed validates, and a
policy that would open a hole does not."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from execution_api.infra.config import deep_merge, read_config
from execution_api.models.caller import Caller
from execution_api.models.errors import InvalidRequest
from execution_api.models.policy import RolesPolicy
from toolkit.template import load_template

CONFIG = Path(__file__).resolve().parents[2] / "config"
STAGES = ("dev", "staging", "prod")


def role(**fields: object) -> dict:
    base = {
        "provider": "aws",
        "group": "developer",
        "requesters": {"everyone": True},
        "approvers": {"groups": ["security-approvers"]},
    }
    return {**base, **fields}


def policy(**roles: dict) -> RolesPolicy:
    return RolesPolicy.model_validate({"roles": roles})


@pytest.mark.parametrize("stage", STAGES)
def test_each_stages_policy_as_deployed_validates(stage):
    loaded = RolesPolicy.model_validate(read_config(CONFIG, "roles", stage))

    assert {"readonly", "developer", "admin"} <= set(loaded.roles)
    for name, each in loaded.roles.items():
        assert each.name == name
        assert each.auto_approve or each.approvers.groups or each.approvers.users


def test_the_sample_policy_is_what_the_local_server_promises():
    roles = RolesPolicy.model_validate(read_config(CONFIG, "roles", "dev")).roles

    assert roles["readonly"].auto_approve
    assert (roles["developer"].approvers.groups, roles["developer"].required_approvals) == (("security-approvers",), 1)
    assert (roles["admin"].approvers.groups, roles["admin"].required_approvals) == (("security-approvers",), 2)
    assert all(roles[name].requesters.everyone for name in ("readonly", "developer", "admin"))


def test_a_stage_overrides_a_role_field_by_field():
    prod = RolesPolicy.model_validate(read_config(CONFIG, "roles", "prod")).roles["developer"]
    dev = RolesPolicy.model_validate(read_config(CONFIG, "roles", "dev")).roles["developer"]

    assert prod.requesters.groups == ("engineers",)
    assert (prod.approvers, prod.max_duration) == (dev.approvers, dev.max_duration)


def test_a_merge_replaces_values_and_merges_tables():
    base = {"roles": {"a": {"x": 1, "y": {"p": 1, "q": 2}, "l": [1]}, "b": {"x": 2}}}

    merged = deep_merge(base, {"roles": {"a": {"y": {"q": 3}, "l": [2]}, "c": {"x": 4}}})

    assert merged == {"roles": {"a": {"x": 1, "y": {"p": 1, "q": 3}, "l": [2]}, "b": {"x": 2}, "c": {"x": 4}}}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"requesters": {}}, "requesters"),
        ({"auto_approve": True}, "auto-approved role has none"),
        ({"approvers": {}}, "approvers"),
        ({"approvers": {"everyone": True}}, "approvers"),
        ({"approvers": {"users": ["a@example.com"]}, "required_approvals": 2}, "required_approvals"),
        ({"max_duration": "PT1H", "default_duration": "PT2H"}, "default_duration"),
        ({"max_duration": "P30D"}, "max_duration"),
        ({"max_duration": "soon"}, "max_duration"),
        ({"group": ""}, "group"),
        ({"group": "x*"}, "group"),
        ({"provider": "gcp"}, "provider"),
        ({"approver": {"groups": ["x"]}}, "approver"),
        ({"ticket_pattern": "("}, "ticket_pattern"),
        ({"approvers": {"groups": ["security approvers"]}}, "groups"),
    ],
)
def test_a_policy_that_would_open_a_hole_does_not_load(fields, message):
    with pytest.raises(ValidationError, match=message):
        policy(r=role(**fields))


def test_a_role_not_in_the_policy_or_disabled_is_a_400_naming_input_role():
    loaded = policy(on=role(), off=role(enabled=False))

    assert loaded.role("on").name == "on"
    for name in ("off", "missing"):
        with pytest.raises(InvalidRequest) as raised:
            loaded.role(name)
        assert raised.value.message.startswith("input.role:")


def test_who_may_request_is_the_roles_and_emails_compare_without_case():
    loaded = policy(
        everyone=role(),
        engineers=role(requesters={"groups": ["engineers"]}),
        named=role(requesters={"users": ["Alice@Example.com"]}),
    )

    def names(caller: Caller) -> list[str]:
        return sorted(each.name for each in loaded.requestable_by(caller))

    assert names(Caller("i#a", email="alice@EXAMPLE.com")) == ["everyone", "named"]
    assert names(Caller("i#b", groups=frozenset({"engineers"}))) == ["engineers", "everyone"]
    assert names(Caller("i#c", email=None, groups=frozenset({"Engineers"}))) == ["everyone"]


def test_a_ticket_pattern_is_enforced():
    loaded = policy(r=role(ticket_pattern="^INC-[0-9]+$")).roles["r"]

    loaded.check_ticket("INC-7")
    for ticket in (None, "INC-7x", "CHG-1"):
        with pytest.raises(InvalidRequest, match=r"input\.ticket"):
            loaded.check_ticket(ticket)


def test_the_user_pools_approver_group_is_the_one_the_policy_names():
    """The stack creates the approvers' group (``ApproverGroup``); the policy must give it roles."""
    template = load_template()
    group = template["Parameters"]["ApproverGroup"]["Default"]
    roles = RolesPolicy.model_validate(read_config(CONFIG, "roles", "dev")).roles.values()

    assert any(group in role.approvers.groups for role in roles)


INSTANCE = "arn:aws:sso:::instance/ssoins-1234567890abcdef"
READ_ONLY = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1111111111111111"
ADMIN = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-3333333333333333"
IDENTITY_CENTER = {
    "instance_arn": INSTANCE,
    "identity_store_id": "d-1234567890",
    "accounts": {"111111111111": "production", "222222222222": "development"},
    "permission_sets": {"ReadOnlyAccess": READ_ONLY, "AdministratorAccess": ADMIN},
}


def sso_role(*pairs: tuple[str, str], **fields: object) -> dict:
    base = {key: value for key, value in role().items() if key != "group"}
    eligible = [{"account": account, "permission_set": name} for account, name in pairs]
    return {**base, "provider": "aws-sso", "eligible": eligible, **fields}


def sso_policy(identity_center: dict | None = None, **roles: dict) -> RolesPolicy:
    return RolesPolicy.model_validate({"identity_center": identity_center or IDENTITY_CENTER, "roles": roles})


def test_an_aws_sso_role_grants_pairs_not_a_cross_product():
    operator = RolesPolicy.model_validate(read_config(CONFIG, "roles", "dev")).roles["sso-operator"]

    pairs = {(pair.account, pair.permission_set) for pair in operator.eligible}

    assert ("111111111111", "ReadOnlyAccess") in pairs
    assert ("222222222222", "AdministratorAccess") in pairs
    assert ("111111111111", "AdministratorAccess") not in pairs  # admin on development does not make it on production


@pytest.mark.parametrize(
    ("roles", "identity_center", "message"),
    [
        ({"r": sso_role(("333333333333", "ReadOnlyAccess"))}, None, "account 333333333333 is not in"),
        ({"r": sso_role(("111111111111", "PowerUserAccess"))}, None, "permission set PowerUserAccess is not in"),
        ({"r": sso_role()}, None, "eligible"),
        ({"r": sso_role(("111111111111", "ReadOnlyAccess"), ("111111111111", "ReadOnlyAccess"))}, None, "twice"),
        ({"r": sso_role(("1111", "ReadOnlyAccess"))}, None, "account"),
        ({"r": sso_role(("111111111111", "ReadOnlyAccess"), group="g")}, None, "group"),
        ({"r": role(eligible=[{"account": "111111111111", "permission_set": "ReadOnlyAccess"}])}, None, "eligible"),
        (
            {"r": sso_role(("111111111111", "ReadOnlyAccess"))},
            {
                **IDENTITY_CENTER,
                "permission_sets": {
                    "ReadOnlyAccess": READ_ONLY.replace("ssoins-1234567890abcdef", "ssoins-0000000000000000")
                },
            },
            "not of instance",
        ),
        (
            {"r": sso_role(("111111111111", "ReadOnlyAccess"))},
            {**IDENTITY_CENTER, "instance_arn": "ssoins-1"},
            "instance_arn",
        ),
        (
            {"r": sso_role(("111111111111", "ReadOnlyAccess"))},
            {**IDENTITY_CENTER, "user_attribute": "nickName"},
            "user_attribute",
        ),
    ],
)
def test_an_identity_center_policy_that_names_what_it_does_not_have_does_not_load(roles, identity_center, message):
    with pytest.raises(ValidationError, match=message):
        sso_policy(identity_center, **roles)


def test_an_aws_sso_role_needs_the_identity_center_section():
    with pytest.raises(ValidationError, match=r"needs an \[identity_center\] section"):
        RolesPolicy.model_validate({"roles": {"r": sso_role(("111111111111", "ReadOnlyAccess"))}})


def test_the_identity_center_scope_is_what_the_roles_name_enabled_or_not():
    loaded = sso_policy(
        readonly=sso_role(("111111111111", "ReadOnlyAccess")),
        retired=sso_role(("222222222222", "ReadOnlyAccess"), enabled=False),
    )

    scope = loaded.identity_center_scope()

    assert scope is not None
    assert (scope.instance_arn, scope.identity_store_id) == (INSTANCE, "d-1234567890")
    assert scope.permission_set_arns == (READ_ONLY,)  # AdministratorAccess: listed, but no role names it
    assert scope.account_ids == ("111111111111", "222222222222")
    assert policy(r=role()).identity_center_scope() is None
