"""template.yaml's Cognito user pool, groups, hosted UI domain and app clients, created by the
toolkit from the template's own properties the way CloudFormation creates them, custom resource
included: its function runs against moto and answers a local stand-in for CloudFormation."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from execution_api.infra import clients as aws_clients
from tests.events import load_event
from toolkit.aws import EmbeddedAws
from toolkit.functions import function_module
from toolkit.template import FUNCTION, REGION, Resolver, resources_of_type

COGNITO_TYPES = (
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolGroup",
    "AWS::Cognito::UserPoolDomain",
    "AWS::Cognito::UserPoolClient",
)
CUSTOM_RESOURCE_TYPES = ("Custom::AppClientSettings",)


@contextmanager
def embedded_cognito() -> Iterator[EmbeddedAws]:
    """The embedded AWS, with the code's cached clients pointed at it."""
    aws_clients.client.cache_clear()
    with EmbeddedAws() as aws:
        yield aws
    aws_clients.client.cache_clear()


class _ResponseReceiver(BaseHTTPRequestHandler):
    responses: list[dict[str, Any]]

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.responses.append({"content_type": self.headers.get("Content-Type"), **json.loads(body)})
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def cloudformation_responses() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local URL standing in for a custom resource's pre-signed ``ResponseURL``, and the
    responses PUT to it (each with the request's ``content_type``)."""
    responses: list[dict[str, Any]] = []
    handler = type("Receiver", (_ResponseReceiver,), {"responses": responses})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    # A short poll keeps shutdown() quick (it waits for the serving loop to notice).
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/response?X-Amz-Signature=secret", responses
    finally:
        server.shutdown()
        server.server_close()


def as_cloudformation_sends(value: Any) -> Any:
    """Custom resource properties as CloudFormation passes them: every scalar a string."""
    if isinstance(value, dict):
        return {key: as_cloudformation_sends(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_cloudformation_sends(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def custom_resource_event(properties: dict[str, Any], response_url: str, **fields: Any) -> dict[str, Any]:
    """``events/app_client_settings.json`` with these properties (as CloudFormation sends them)."""
    event = load_event("app_client_settings")
    event["ResourceProperties"] = as_cloudformation_sends(properties)
    event["ResponseURL"] = response_url
    event.update(fields)
    return event


@dataclass
class UserPoolDeployment:
    """What was created: physical ids by logical id, and the custom resources' answers."""

    resolver: Resolver
    custom_resource_responses: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def ids(self) -> dict[str, Any]:
        return {logical_id: resource.ref for logical_id, resource in self.resolver.resources.items()}

    @property
    def console_url(self) -> str:
        return f"https://{self.ids['HttpApi']}.execute-api.{REGION}.amazonaws.com/console/"

    def function_arn(self, logical_id: str) -> str:
        return self.resolver.resources[logical_id].attributes["Arn"]

    def properties(self, logical_id: str) -> dict[str, Any]:
        return self.resolver.resolve(self.resolver.template["Resources"][logical_id]["Properties"], logical_id)


def _run_custom_resource(deployment: UserPoolDeployment, logical_id: str, response_url: str, context: Any) -> None:
    """Invokes the resource's function (by its ``ServiceToken``) with a Create request."""
    properties = deployment.properties(logical_id)
    functions = resources_of_type(deployment.resolver.template, FUNCTION)
    token = properties["ServiceToken"]
    (function,) = (spec for name, spec in functions.items() if deployment.function_arn(name) == token)
    module = function_module(function["Properties"]["CodeUri"].rstrip("/").rsplit("/", 1)[1])
    event = custom_resource_event(properties, response_url, LogicalResourceId=logical_id)
    module.lambda_handler(event, context)
    deployment.resolver.register(logical_id, f"{logical_id}-physical-id")


def deploy_user_pool(aws: EmbeddedAws, context: Any, **parameters: str) -> UserPoolDeployment:
    """The template with ``CreateUserPool=true`` (and ``parameters``): every Cognito resource
    created by the toolkit, then its custom resources run against them."""
    resolver = aws.deploy({"CreateUserPool": "true", **parameters}, resource_types=COGNITO_TYPES)
    deployment = UserPoolDeployment(resolver)
    resources = {
        logical_id: spec
        for logical_id, spec in resolver.template["Resources"].items()
        if resolver.is_enabled(logical_id)
    }
    unknown = {
        spec["Type"]
        for spec in resources.values()
        if spec["Type"].startswith(("AWS::Cognito::", "Custom::"))
        and spec["Type"] not in (*COGNITO_TYPES, *CUSTOM_RESOURCE_TYPES)
    }
    assert not unknown, f"the test deployment does not create {unknown}: add them here"
    with cloudformation_responses() as (url, responses):
        for logical_id, spec in resources.items():
            if spec["Type"] in CUSTOM_RESOURCE_TYPES:
                _run_custom_resource(deployment, logical_id, url, context)
                (deployment.custom_resource_responses[logical_id],) = responses
                responses.clear()
    return deployment
