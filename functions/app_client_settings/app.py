"""CloudFormation custom resource ``Custom::AppClientSettings``: applies settings to an existing
Cognito app client and keeps every setting it is not given.

Why it exists: the console's app client needs callback and sign-out URLs on the stack's HTTP
API, whose JWT authorizer lists that client as an audience. Naming the URLs on the client itself
would be a circular dependency, so the client is created plain and this applies its settings
once both exist. UpdateUserPoolClient resets every setting missing from its request, so the
request is the client's current settings with the given ones on top, less those this resource
gave before and no longer gives.

Properties: ``UserPoolId``, ``ClientId`` and ``Settings`` (UpdateUserPoolClient's parameters).
CloudFormation passes every scalar as a string; the API's own model types them here.

Deployment glue rather than domain logic, so it lives here and not in the shared package.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any

from execution_api.infra.clients import client
from execution_api.infra.observability import logger

_OPERATION = "UpdateUserPoolClient"
_IDENTIFIERS = ("UserPoolId", "ClientId")
_MAX_REASON = 1000  # CloudFormation takes a response of at most 4 KB


class InvalidSettings(ValueError):
    """A property this resource cannot apply; the message names it."""


def _update_shape() -> Any:
    return client("cognito-idp").meta.service_model.operation_model(_OPERATION).input_shape


def _typed(shape: Any, value: Any, field: str) -> Any:
    """``value`` as the API's ``shape`` takes it (CloudFormation sends ``"true"``, ``"60"``)."""
    kind = shape.type_name
    if kind == "boolean":
        if str(value).lower() not in ("true", "false"):
            raise InvalidSettings(f"{field}: expected true or false")
        return str(value).lower() == "true"
    if kind in ("integer", "long"):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise InvalidSettings(f"{field}: expected a whole number") from None
    if kind == "list":
        if not isinstance(value, list):
            raise InvalidSettings(f"{field}: expected a list")
        return [_typed(shape.member, item, field) for item in value]
    if kind == "structure":
        if not isinstance(value, dict):
            raise InvalidSettings(f"{field}: expected an object")
        return {name: _typed(_member(shape, name, field), item, f"{field}.{name}") for name, item in value.items()}
    return value


def _member(shape: Any, name: str, field: str) -> Any:
    if name not in shape.members:
        raise InvalidSettings(f"{field}: unknown setting {name}")
    return shape.members[name]


def requested_settings(settings: Any) -> dict[str, Any]:
    """``Settings`` typed for UpdateUserPoolClient; an unknown name or a bad value is an error."""
    for name in _IDENTIFIERS:
        if isinstance(settings, dict) and name in settings:
            raise InvalidSettings(f"Settings: {name} is a property of the resource, not a setting")
    return _typed(_update_shape(), settings or {}, "Settings")


def apply_settings(properties: dict[str, Any], old_properties: dict[str, Any] | None) -> str:
    """Applies ``properties`` to the client; returns the resource's physical id."""
    pool_id, client_id = properties["UserPoolId"], properties["ClientId"]
    wanted = requested_settings(properties.get("Settings"))
    withdrawn = set((old_properties or {}).get("Settings") or {}) - set(wanted)
    cognito = client("cognito-idp")
    current = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    members = _update_shape().members
    kept = {
        name: value
        for name, value in current.items()
        if name in members and name not in withdrawn and value not in (None, [], {})
    }
    cognito.update_user_pool_client(**{**kept, **wanted, "UserPoolId": pool_id, "ClientId": client_id})
    return f"{pool_id}/{client_id}"


def _physical_id(event: dict[str, Any]) -> str:
    if event.get("PhysicalResourceId"):
        return event["PhysicalResourceId"]
    properties = event.get("ResourceProperties") or {}
    if properties.get("UserPoolId") and properties.get("ClientId"):
        return f"{properties['UserPoolId']}/{properties['ClientId']}"
    return event["LogicalResourceId"]


def send_response(event: dict[str, Any], status: str, physical_id: str, reason: str = "") -> None:
    """Answers CloudFormation at the request's pre-signed URL (never logged: it is a credential)."""
    url = event["ResponseURL"]
    if urllib.parse.urlsplit(url).scheme not in ("https", "http"):
        raise ValueError("ResponseURL: not an http(s) URL")
    body = {
        "Status": status,
        "Reason": reason[:_MAX_REASON],
        "PhysicalResourceId": physical_id,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Data": {},
    }
    # The URL is signed without a content type: send an empty one, not urllib's default.
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="PUT", headers={"Content-Type": ""})  # noqa: S310 - scheme checked
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the scheme is checked above
        response.read()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> None:
    """Create and Update apply the settings; Delete leaves the client as it is (CloudFormation
    deletes the client itself when it goes). Every outcome is answered: CloudFormation would
    otherwise wait an hour for one."""
    physical_id = _physical_id(event)
    status, reason = "SUCCESS", ""
    try:
        if event["RequestType"] in ("Create", "Update"):
            physical_id = apply_settings(event["ResourceProperties"], event.get("OldResourceProperties"))
    except Exception as error:  # noqa: BLE001 - any failure is CloudFormation's to report
        logger.exception("app client settings not applied", extra={"request_type": event.get("RequestType")})
        status, reason = "FAILED", f"{type(error).__name__}: {error}"
    logger.info("answering CloudFormation", extra={"request_type": event.get("RequestType"), "status": status})
    send_response(event, status, physical_id, reason)
