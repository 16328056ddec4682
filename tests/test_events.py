"""The sample events in events/ are what API Gateway, EventBridge and DynamoDB Streams send: parsed
by the Powertools models; each HTTP one is a route of template.yaml, each other one is let through
by its function's event source."""

from __future__ import annotations

import json

import pytest
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayProxyEventV2Model,
    DynamoDBStreamModel,
    EventBridgeModel,
)

from local.eventbridge import matches
from tests.events import EVENTS_DIR, FOUNDATION_ENDPOINTS, http_event, load_event
from toolkit.template import load_template, resources_of_type

# The samples of the functions that no HTTP route invokes.
EVENT_SOURCE_SAMPLES = {"sync_status", "notify_decision", "reconcile"}
HTTP_EVENTS = sorted(path.stem for path in EVENTS_DIR.glob("*.json") if path.stem not in EVENT_SOURCE_SAMPLES)
FUNCTIONS = resources_of_type(load_template(), "AWS::Serverless::Function")
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
    rule = FUNCTIONS["SyncStatusFunction"]["Properties"]
    pattern = rule["Events"]["StatusChange"]["Properties"]["Pattern"]

    assert parsed.source in pattern["source"]
    assert parsed.detail_type in pattern["detail-type"]
    assert parsed.detail["status"] in pattern["detail"]["status"]
    assert parsed.detail["name"] == parsed.detail["executionArn"].rsplit(":", 1)[1]


def test_the_stream_sample_is_a_dynamodb_batch_the_decision_filter_lets_through():
    event = load_event("notify_decision")
    parsed = parse(event=event, model=DynamoDBStreamModel)
    source = FUNCTIONS["NotifyDecisionFunction"]["Properties"]["Events"]["DecisionWaits"]["Properties"]
    filters = [json.loads(item["Pattern"]) for item in source["FilterCriteria"]["Filters"]]

    assert [record.eventSource for record in parsed.Records] == ["aws:dynamodb"]
    assert all(any(matches(pattern, record) for pattern in filters) for record in event["Records"])
    assert parsed.Records[0].dynamodb.StreamViewType == "NEW_AND_OLD_IMAGES"


def test_the_schedule_sample_is_an_eventbridge_scheduled_event_of_the_reconciler():
    parsed = parse(event=load_event("reconcile"), model=EventBridgeModel)
    events = FUNCTIONS["ReconcileFunction"]["Properties"]["Events"].values()

    assert (parsed.source, parsed.detail_type, parsed.detail) == ("aws.events", "Scheduled Event", {})
    assert [event["Type"] for event in events] == ["Schedule"]


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
