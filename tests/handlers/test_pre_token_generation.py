"""The user pool's pre token generation trigger (V2_0) on ``events/pre_token_generation.json``:
the claim it adds to the ID token is the one ``identity`` reads, through HTTP API's handling of
claims, and group names built to look like the admin group do not make an admin."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from execution_api.api.identity import caller_from_claims
from execution_api.infra.settings import get_settings
from execution_api.models.caller import Caller
from local.auth import DEFAULT_ISSUER, template_parameters
from tests.events import load_event
from toolkit.functions import function_module
from toolkit.template import ACCOUNT_ID, Resolver, function_environment, load_template

ADMINS = "execution-admins"
GROUPS_CLAIM = "execution_api_groups"


@pytest.fixture
def function_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """The environment template.yaml's Globals give every function. The trigger calls no AWS
    service, so the resources' names in it are placeholders."""
    template = load_template()
    resolver = Resolver(template, ACCOUNT_ID, parameter_overrides=template_parameters(DEFAULT_ISSUER))
    for name in template["Resources"]:
        resolver.register_placeholder(name, f"placeholder-{name}", lambda attribute, name=name: f"{name}.{attribute}")
    for name, value in function_environment(template, resolver).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


@pytest.fixture
def trigger(function_settings: pytest.MonkeyPatch, lambda_context: Any):
    """Runs the trigger on the sample event, its user in ``groups`` if given."""

    def run(groups: list[str] | None = None) -> dict[str, Any]:
        event = load_event("pre_token_generation")
        if groups is not None:
            event["request"]["groupConfiguration"]["groupsToOverride"] = groups
        return function_module("pre_token_generation").lambda_handler(event, lambda_context)

    return run


def id_token_claims(answered: dict[str, Any]) -> dict[str, Any]:
    """The ID token Cognito issues after the trigger answered: the user's standard claims,
    ``cognito:groups`` (an array), and the trigger's claims added or overriding."""
    attributes = answered["request"]["userAttributes"]
    claims = {
        "sub": attributes["sub"],
        "email": attributes["email"],
        "email_verified": attributes["email_verified"] == "true",
        "iss": f"https://cognito-idp.{answered['region']}.amazonaws.com/{answered['userPoolId']}",
        "aud": answered["callerContext"]["clientId"],
        "token_use": "id",
        "cognito:username": answered["userName"],
        "cognito:groups": answered["request"]["groupConfiguration"]["groupsToOverride"],
    }
    overrides = answered["response"]["claimsAndScopeOverrideDetails"]["idTokenGeneration"]
    return {**claims, **overrides["claimsToAddOrOverride"]}


def as_http_api_passes(claims: dict[str, Any]) -> dict[str, str]:
    """Claims as HTTP API's JWT authorizer hands them to a function: strings unchanged, an
    array flattened to ``[a b]``, anything else as text."""

    def flat(value: Any) -> str:
        if isinstance(value, list):
            return "[" + " ".join(str(item) for item in value) + "]"
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return {name: flat(value) for name, value in claims.items()}


def caller_of(answered: dict[str, Any]) -> Caller:
    return caller_from_claims(as_http_api_passes(id_token_claims(answered)), GROUPS_CLAIM, ADMINS)


def test_the_trigger_adds_the_groups_to_the_id_token_only_as_a_json_array_in_a_string(trigger):
    answered = trigger()

    assert answered["response"] == {
        "claimsAndScopeOverrideDetails": {
            "idTokenGeneration": {
                "claimsToAddOrOverride": {GROUPS_CLAIM: '["execution-admins", "security-approvers"]'},
            },
        },
    }
    sample = load_event("pre_token_generation")
    assert {key: value for key, value in answered.items() if key != "response"} == {
        key: value for key, value in sample.items() if key != "response"
    }


def alice(answered: dict[str, Any], *, is_admin: bool, groups: list[str]) -> Caller:
    """The caller the API makes of the sample user: her pool and ``sub``, her verified email."""
    issuer = f"https://cognito-idp.{answered['region']}.amazonaws.com/{answered['userPoolId']}"
    subject = answered["request"]["userAttributes"]["sub"]
    email = "alice@example.com"
    return Caller(f"{issuer}#{subject}", email=email, groups=frozenset(groups), is_admin=is_admin, display=email)


def test_the_id_token_it_shapes_makes_the_api_see_an_admin_with_a_verified_email(trigger):
    answered = trigger()

    assert caller_of(answered) == alice(answered, is_admin=True, groups=["execution-admins", "security-approvers"])


def test_a_user_in_no_group_is_an_ordinary_caller(trigger):
    answered = trigger(groups=[])

    assert id_token_claims(answered)[GROUPS_CLAIM] == "[]"
    assert caller_of(answered) == alice(answered, is_admin=False, groups=[])


@pytest.mark.parametrize(
    "groups",
    [
        ["x execution-admins"],
        ["x,execution-admins"],
        ["[execution-admins]"],
        ["developers", "x execution-admins"],
        ['"execution-admins"'],
        ["execution-admins-readonly"],
    ],
)
def test_group_names_built_to_spoof_the_admin_group_do_not_make_an_admin(trigger, groups):
    answered = trigger(groups=groups)
    passed = as_http_api_passes(id_token_claims(answered))

    assert json.loads(passed[GROUPS_CLAIM]) == groups  # the names arrive exactly as they are
    assert caller_of(answered).is_admin is False


def test_the_flattened_cognito_groups_claim_is_what_the_json_string_claim_avoids(trigger):
    passed = as_http_api_passes(id_token_claims(trigger(groups=["x execution-admins"])))

    assert ADMINS in passed["cognito:groups"].strip("[]").split()  # a reading of it would be fooled
    assert caller_from_claims(passed, GROUPS_CLAIM, ADMINS).is_admin is False


def test_the_claim_is_the_groups_claim_parameter(trigger, function_settings):
    function_settings.setenv("GROUPS_CLAIM", "acme_groups")
    get_settings.cache_clear()

    answered = trigger()

    claims = answered["response"]["claimsAndScopeOverrideDetails"]["idTokenGeneration"]["claimsToAddOrOverride"]
    assert claims == {"acme_groups": '["execution-admins", "security-approvers"]'}
