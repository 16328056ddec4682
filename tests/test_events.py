"""The sample events in events/ are what API Gateway, EventBridge, DynamoDB Streams, Cognito and
CloudFormation send: parsed by the Powertools models; each HTTP one is a route of template.yaml,
each other one reaches what the template routes it to."""

from __future__ import annotations

import json

import pytest
from aws_lambda_powertools.utilities.data_classes.cognito_user_pool_event import PreTokenGenerationV2TriggerEvent
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayProxyEventV2Model,
    DynamoDBStreamModel,
    EventBridgeModel,
)

from local.auth import subject_of
from local.eventbridge import matches
from tests.events import EVENTS_DIR, FOUNDATION_ENDPOINTS, http_event, load_event
from toolkit.template import load_template, resources_of_type

TEMPLATE = load_template()
FUNCTIONS = resources_of_type(TEMPLATE, "AWS::Serverless::Function")
# The samples of the functions that no HTTP route invokes, each checked by a test of its own below.
OTHER_EVENTS = {
    "sync_status",
    "notify_decision",
    "grant_access",
    "reconcile",
    "pre_token_generation",
    "app_client_settings",
}
HTTP_EVENTS = sorted(path.stem for path in EVENTS_DIR.glob("*.json") if path.stem not in OTHER_EVENTS)
ROUTE_EVENTS = [
    event["Properties"]
    for resource in FUNCTIONS.values()
    for event in resource["Properties"].get("Events", {}).values()
    if event["Type"] == "HttpApi"
]
TEMPLATE_ROUTES = {f"{route['Method'].upper()} {route['Path']}" for route in ROUTE_EVENTS}
# The routes without the JWT authorizer (the console's pages): their events carry no claims.
PUBLIC_ROUTES = {
    f"{route['Method'].upper()} {route['Path']}"
    for route in ROUTE_EVENTS
    if (route.get("Auth") or {}).get("Authorizer") == "NONE"
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
        expected_path = expected_path.replace("{" + key + "}", value).replace("{" + key + "+}", value)
    assert parsed.rawPath == expected_path
    if event["routeKey"] in PUBLIC_ROUTES:
        assert "authorizer" not in event["requestContext"]
        assert "authorization" not in event["headers"]
    else:
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


def test_the_pre_token_generation_event_is_a_v2_event_of_the_template_pool():
    event = PreTokenGenerationV2TriggerEvent(load_event("pre_token_generation"))
    trigger = TEMPLATE["Resources"]["UserPool"]["Properties"]["LambdaConfig"]["PreTokenGenerationConfig"]

    assert (event.version, trigger["LambdaVersion"]) == ("2", "V2_0")
    assert event.trigger_source.startswith("TokenGeneration_")
    assert event.request.user_attributes["email_verified"] == "true"
    assert event.request.group_configuration.groups_to_override
    assert event.request.scopes == ["openid", "email", "profile"]
    assert event["response"] == {"claimsAndScopeOverrideDetails": None}


def test_the_custom_resource_event_is_a_create_request_of_the_template_resource():
    event = load_event("app_client_settings")
    resource = TEMPLATE["Resources"][event["LogicalResourceId"]]

    assert event["RequestType"] == "Create"
    assert event["ResourceType"] == resource["Type"]
    assert event["ResponseURL"].startswith("https://")
    assert set(event["ResourceProperties"]) == set(resource["Properties"])
    assert set(event["ResourceProperties"]["Settings"]) == set(resource["Properties"]["Settings"])
    # CloudFormation sends every scalar property as a string.
    scalars = [
        value for value in event["ResourceProperties"]["Settings"].values() if not isinstance(value, list | dict)
    ]
    assert all(isinstance(value, str) for value in scalars)


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
        subject_of("bob@example.com"),
        '["g1", "g2"]',
    )
    assert "queryStringParameters" not in http_event("list_executions_filtered", query=None)
    assert "body" not in http_event("update_execution", body=None)
