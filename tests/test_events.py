"""The sample events in events/ are what API Gateway and EventBridge send: parsed by the
Powertools models, and each one is a route of template.yaml."""

from __future__ import annotations

import json

import pytest
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventV2Model, EventBridgeModel

from tests.events import EVENTS_DIR, FOUNDATION_ENDPOINTS, http_event, load_event
from toolkit.template import load_template, resources_of_type

HTTP_EVENTS = sorted(path.stem for path in EVENTS_DIR.glob("*.json") if path.stem != "sync_status")
TEMPLATE_ROUTES = {
    f"{event['Properties']['Method'].upper()} {event['Properties']['Path']}"
    for resource in resources_of_type(load_template(), "AWS::Serverless::Function").values()
    for event in resource["Properties"].get("Events", {}).values()
    if event["Type"] == "HttpApi"
}


def test_there_is_an_event_for_every_endpoint_of_the_foundation():
    assert set(HTTP_EVENTS) >= {*FOUNDATION_ENDPOINTS, "list_executions_filtered"}


@pytest.mark.parametrize("name", HTTP_EVENTS)
def test_an_http_event_is_an_http_api_v2_event_of_a_template_route(name):
    event = load_event(name)
    parsed = parse(event=event, model=APIGatewayProxyEventV2Model)
    method, route = event["routeKey"].split(" ", 1)

    assert parsed.version == "2.0"
    assert parsed.requestContext.stage == "$default"
    assert parsed.requestContext.http.method == method
    assert event["requestContext"]["routeKey"] == event["routeKey"]
    assert event["routeKey"] in TEMPLATE_ROUTES
    assert parsed.rawPath == parsed.requestContext.http.path
    expected_path = route
    for key, value in (parsed.pathParameters or {}).items():
        expected_path = expected_path.replace("{" + key + "}", value)
    assert parsed.rawPath == expected_path
    claims = parsed.requestContext.authorizer.jwt.claims
    assert {"sub", "email", "iss", "aud", "execution_api_groups"} <= set(claims)
    if parsed.body is not None:
        json.loads(parsed.body)


def test_the_status_change_event_is_an_eventbridge_event_the_sync_rule_matches():
    event = load_event("sync_status")
    parsed = parse(event=event, model=EventBridgeModel)
    rule = resources_of_type(load_template(), "AWS::Serverless::Function")["SyncStatusFunction"]["Properties"]
    pattern = rule["Events"]["StatusChange"]["Properties"]["Pattern"]

    assert parsed.source in pattern["source"]
    assert parsed.detail_type in pattern["detail-type"]
    assert parsed.detail["status"] in pattern["detail"]["status"]
    assert parsed.detail["name"] == parsed.detail["executionArn"].rsplit(":", 1)[1]


def test_overrides_keep_the_event_consistent():
    arn = "arn:aws:states:us-east-1:123456789012:execution:execution-api-dev-batch:0b7a8c1e-9d4a-4e6f-8b7c-1a2b3c4d5e6f"

    event = http_event(
        "get_execution",
        path_parameters={"id": arn},
        query={"a": "1 2"},
        body={"x": 1},
        user="bob@example.com",
        groups=["g1", "g2"],
    )

    assert event["rawPath"] == event["requestContext"]["http"]["path"]
    assert event["rawPath"].endswith(
        "arn%3Aaws%3Astates%3Aus-east-1%3A123456789012%3Aexecution%3Aexecution-api-dev-batch%3A0b7a8c1e-9d4a-4e6f-8b7c-1a2b3c4d5e6f"
    )
    assert (event["rawQueryString"], event["queryStringParameters"]) == ("a=1+2", {"a": "1 2"})
    assert json.loads(event["body"]) == {"x": 1}
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    assert (claims["email"], claims["sub"], claims["execution_api_groups"]) == (
        "bob@example.com",
        "sub-bob@example.com",
        '["g1", "g2"]',
    )
    assert "queryStringParameters" not in http_event("list_executions_filtered", query=None)
    assert "body" not in http_event("update_execution", body=None)
