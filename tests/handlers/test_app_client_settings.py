"""The ``Custom::AppClientSettings`` function against moto's Cognito: what it asks
UpdateUserPoolClient for (which, on AWS, resets every setting missing from the request), and
what it answers CloudFormation."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from execution_api.infra import clients as aws_clients
from tests.cognito import (
    UserPoolDeployment,
    cloudformation_responses,
    custom_resource_event,
    deploy_user_pool,
    embedded_cognito,
)
from toolkit.aws import EmbeddedAws
from toolkit.functions import function_module

RESOURCE = "ConsoleClientSettings"


@pytest.fixture
def embedded() -> Iterator[EmbeddedAws]:
    with embedded_cognito() as aws:
        yield aws


@pytest.fixture
def cognito(embedded: EmbeddedAws) -> Any:
    return embedded.client("cognito-idp")


@pytest.fixture
def deployment(embedded: EmbeddedAws, lambda_context: Any) -> UserPoolDeployment:
    return deploy_user_pool(embedded, lambda_context)


@pytest.fixture
def cognito_calls(deployment: UserPoolDeployment) -> list[tuple[str, dict[str, Any]]]:
    """The Cognito calls the function makes from now on, as (operation, parameters)."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        calls.append((model.name, dict(params)))

    aws_clients.client("cognito-idp").meta.events.register("before-parameter-build.cognito-identity-provider", record)
    return calls


@pytest.fixture
def run(lambda_context: Any):
    """Runs the function on a request built from ``properties``; returns CloudFormation's answer."""

    def call(properties: dict[str, Any], **fields: Any) -> dict[str, Any]:
        with cloudformation_responses() as (url, responses):
            function_module("app_client_settings").lambda_handler(
                custom_resource_event(properties, url, **fields), lambda_context
            )
        (response,) = responses
        return response

    return call


def _updates(calls: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [params for operation, params in calls if operation == "UpdateUserPoolClient"]


def test_an_update_keeps_the_settings_it_is_not_given(cognito, deployment, cognito_calls, run):
    properties = deployment.properties(RESOURCE)
    pool_id, client_id = properties["UserPoolId"], properties["ClientId"]
    cognito.update_user_pool_client(UserPoolId=pool_id, ClientId=client_id, ReadAttributes=["email"])

    response = run(properties, RequestType="Update", OldResourceProperties=properties)

    assert response["Status"] == "SUCCESS", response["Reason"]
    (request,) = _updates(cognito_calls)
    assert request["ReadAttributes"] == ["email"]  # set outside this resource, and kept
    assert request["IdTokenValidity"] == 60  # typed from CloudFormation's "60"
    assert request["AllowedOAuthFlowsUserPoolClient"] is True  # from "true"
    assert {key: request[key] for key in ("UserPoolId", "ClientId")} == {"UserPoolId": pool_id, "ClientId": client_id}
    assert {key: value for key, value in request.items() if key in properties["Settings"]} == properties["Settings"]


def test_a_setting_no_longer_given_is_left_out_so_that_it_resets(deployment, cognito_calls, run):
    old = deployment.properties(RESOURCE)
    new = {**old, "Settings": {key: value for key, value in old["Settings"].items() if key != "LogoutURLs"}}

    response = run(new, RequestType="Update", OldResourceProperties=old)

    assert response["Status"] == "SUCCESS", response["Reason"]
    (request,) = _updates(cognito_calls)
    assert "LogoutURLs" not in request
    assert request["CallbackURLs"] == old["Settings"]["CallbackURLs"]


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        ({"Colour": "blue"}, "Settings: unknown setting Colour"),
        ({"EnableTokenRevocation": "yes"}, "Settings.EnableTokenRevocation: expected true or false"),
        ({"IdTokenValidity": "an hour"}, "Settings.IdTokenValidity: expected a whole number"),
        (
            {"TokenValidityUnits": {"IdToken": "minutes", "Session": "days"}},
            "Settings.TokenValidityUnits: unknown setting Session",
        ),
        ({"CallbackURLs": "https://example.com/"}, "Settings.CallbackURLs: expected a list"),
        ({"ClientId": "another"}, "Settings: ClientId is a property of the resource, not a setting"),
    ],
)
def test_a_setting_it_cannot_apply_fails_the_resource_and_names_it(deployment, cognito_calls, run, settings, reason):
    properties = {**deployment.properties(RESOURCE), "Settings": settings}

    response = run(properties)

    assert response["Status"] == "FAILED"
    assert reason in response["Reason"]
    assert _updates(cognito_calls) == []


def test_a_client_that_does_not_exist_fails_the_resource(deployment, run):
    properties = {**deployment.properties(RESOURCE), "ClientId": "1example23456789abcdefghij"}

    response = run(properties)

    assert response["Status"] == "FAILED"
    assert "ResourceNotFoundException" in response["Reason"]


def test_delete_leaves_the_client_alone_and_succeeds(deployment, cognito_calls, run):
    properties = deployment.properties(RESOURCE)
    physical_id = f"{properties['UserPoolId']}/{properties['ClientId']}"

    response = run(properties, RequestType="Delete", PhysicalResourceId=physical_id)

    assert (response["Status"], response["PhysicalResourceId"]) == ("SUCCESS", physical_id)
    assert cognito_calls == []


def test_the_answer_names_the_request_and_no_log_holds_the_response_url(deployment, run, caplog):
    caplog.set_level(logging.INFO)
    event_fields = {"RequestId": "request-7", "LogicalResourceId": RESOURCE, "StackId": "arn:stack/x"}

    response = run(deployment.properties(RESOURCE), **event_fields)
    failed = run({**deployment.properties(RESOURCE), "Settings": {"Colour": "blue"}})

    assert {key: response[key] for key in event_fields} == event_fields
    assert failed["Status"] == "FAILED"
    logged = [json.dumps({**record.__dict__, "message": record.getMessage()}, default=str) for record in caplog.records]
    assert sum("answering CloudFormation" in line for line in logged) == 2  # the logs were captured
    assert not [line for line in logged if "X-Amz-Signature" in line]
