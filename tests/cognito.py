"""template.yaml's Cognito user pool, groups, hosted UI domain and app clients, created in moto
from the template's own properties the way CloudFormation creates them, custom resource
included: its function runs against moto and answers a local stand-in for CloudFormation."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from moto import mock_aws

from execution_api.infra import clients as aws_clients
from local.template import Resolver, load_template
from tests.cfn import ACCOUNT_ID, REGION
from tests.events import load_event
from tests.functions import function_module

API_ID = "a1b2c3d4e5"
CONSOLE_URL = f"https://{API_ID}.execute-api.{REGION}.amazonaws.com/console/"
FUNCTION_STAND_INS = ("PreTokenGenerationFunction", "AppClientSettingsFunction")


def function_arn(logical_id: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:execution-api-dev-{logical_id}"


def user_pool_resolver(**parameters: str) -> Resolver:
    """The template with ``CreateUserPool=true`` (and ``parameters``), knowing the ids of what
    the pool's resources refer to outside Cognito: the API and the two functions."""
    resolver = Resolver(load_template(), ACCOUNT_ID, REGION, {"CreateUserPool": "true", **parameters})
    resolver.register("HttpApi", API_ID)
    for logical_id in FUNCTION_STAND_INS:
        resolver.register(logical_id, f"execution-api-dev-{logical_id}", Arn=function_arn(logical_id))
    return resolver


@contextmanager
def embedded_cognito() -> Iterator[Any]:
    """moto's cognito-idp, with the code's cached clients pointed at it."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }.items():
            patch.setenv(name, value)
        aws_clients.client.cache_clear()
        with mock_aws():
            yield boto3.client("cognito-idp")
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
    ids: dict[str, str] = field(default_factory=dict)
    custom_resource_responses: dict[str, dict[str, Any]] = field(default_factory=dict)

    def properties(self, logical_id: str) -> dict[str, Any]:
        return self.resolver.resolve(self.resolver.template["Resources"][logical_id]["Properties"])


def _create_user_pool(cognito: Any, deployment: UserPoolDeployment, logical_id: str) -> None:
    """As CloudFormation does: the pool, then its MFA configuration (``EnabledMfas``)."""
    properties = deployment.properties(logical_id)
    enabled_mfas = properties.pop("EnabledMfas", [])
    request = {("PoolName" if key == "UserPoolName" else key): value for key, value in properties.items()}
    pool = cognito.create_user_pool(**request)["UserPool"]
    if properties.get("MfaConfiguration", "OFF") != "OFF":
        cognito.set_user_pool_mfa_config(
            UserPoolId=pool["Id"],
            MfaConfiguration=properties["MfaConfiguration"],
            SoftwareTokenMfaConfiguration={"Enabled": "SOFTWARE_TOKEN_MFA" in enabled_mfas},
        )
    provider_url = f"cognito-idp.{REGION}.amazonaws.com/{pool['Id']}"
    deployment.resolver.register(logical_id, pool["Id"], Arn=pool["Arn"], ProviderURL=provider_url)


def _create_group(cognito: Any, deployment: UserPoolDeployment, logical_id: str) -> None:
    properties = deployment.properties(logical_id)
    cognito.create_group(**properties)
    deployment.resolver.register(logical_id, properties["GroupName"])


def _create_domain(cognito: Any, deployment: UserPoolDeployment, logical_id: str) -> None:
    properties = deployment.properties(logical_id)
    cognito.create_user_pool_domain(**properties)
    deployment.resolver.register(logical_id, properties["Domain"])


def _create_client(cognito: Any, deployment: UserPoolDeployment, logical_id: str) -> None:
    client = cognito.create_user_pool_client(**deployment.properties(logical_id))["UserPoolClient"]
    deployment.resolver.register(logical_id, client["ClientId"])


def _run_custom_resource(deployment: UserPoolDeployment, logical_id: str, response_url: str, context: Any) -> None:
    """Invokes the resource's function (by its ``ServiceToken``) with a Create request."""
    properties = deployment.properties(logical_id)
    functions = {function_arn(name): name for name in FUNCTION_STAND_INS}
    function = deployment.resolver.template["Resources"][functions[properties["ServiceToken"]]]
    module = function_module(function["Properties"]["CodeUri"].rstrip("/").rsplit("/", 1)[1])
    event = custom_resource_event(properties, response_url, LogicalResourceId=logical_id)
    module.lambda_handler(event, context)
    deployment.resolver.register(logical_id, f"{logical_id}-physical-id")


_CREATORS: dict[str, Callable[[Any, UserPoolDeployment, str], None]] = {
    "AWS::Cognito::UserPool": _create_user_pool,
    "AWS::Cognito::UserPoolGroup": _create_group,
    "AWS::Cognito::UserPoolDomain": _create_domain,
    "AWS::Cognito::UserPoolClient": _create_client,
}
_CUSTOM_RESOURCE_TYPES = ("Custom::AppClientSettings",)


def deploy_user_pool(cognito: Any, resolver: Resolver, context: Any) -> UserPoolDeployment:
    """Every Cognito resource of the template, in dependency order, then its custom resources."""
    deployment = UserPoolDeployment(resolver)
    resources = {
        logical_id: spec for logical_id, spec in resolver.template["Resources"].items() if resolver.is_enabled(spec)
    }
    unknown = {
        spec["Type"]
        for spec in resources.values()
        if spec["Type"].startswith(("AWS::Cognito::", "Custom::"))
        and spec["Type"] not in (*_CREATORS, *_CUSTOM_RESOURCE_TYPES)
    }
    assert not unknown, f"the test deployment does not create {unknown}: add them here"
    for resource_type, create in _CREATORS.items():
        for logical_id, spec in resources.items():
            if spec["Type"] == resource_type:
                create(cognito, deployment, logical_id)
                deployment.ids[logical_id] = resolver.resources[logical_id].ref
    with cloudformation_responses() as (url, responses):
        for logical_id, spec in resources.items():
            if spec["Type"] in _CUSTOM_RESOURCE_TYPES:
                _run_custom_resource(deployment, logical_id, url, context)
                (deployment.custom_resource_responses[logical_id],) = responses
                responses.clear()
    return deployment
