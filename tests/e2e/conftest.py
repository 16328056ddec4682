"""End-to-end helpers over the local server (``make run``'s), which ``tests/conftest.py`` starts
once per session (``local_server``; ``api(user, groups=None)`` gives a client whose requests carry
a token minted by ``local.token`` with the session's key; see ``tests/local_server.py``).
"""

from __future__ import annotations

import json
import urllib.parse
import uuid
from collections.abc import Callable
from typing import Any

import boto3

from tests.local_server import ApiClient, Reply
from toolkit.template import STACK_NAME
from toolkit.waiting import wait_until


def wait_for(condition: Callable[[], Any], *, timeout: float = 20.0, interval: float = 0.1) -> Any:
    """``wait_until`` with the slower pace of a server that works in background threads
    (executions, status-change events, streams)."""
    return wait_until(condition, timeout=timeout, interval=interval)


# -- helpers shared by the end-to-end tests ----------------------------------------------------------


def a_user() -> str:
    return f"user-{uuid.uuid4().hex[:10]}@example.com"


def start(client: ApiClient, workflow: str, workflow_input: dict) -> dict:
    status, body, _ = client.post("/execution", {"workflow": workflow, "input": workflow_input})
    assert status == 201, body
    return body


def record_state(client: ApiClient, guid: str) -> str:
    status, body, _ = client.get(f"/executions/{guid}")
    assert status == 200, body
    return body["state"]


def wait_for_state(client: ApiClient, guid: str, *states: str) -> dict:
    def ended() -> dict | None:
        status, body, _ = client.get(f"/executions/{guid}")
        assert status == 200, body
        return body if body["state"] in states else None

    return wait_for(ended)


def sfn_events(client: ApiClient, guid: str) -> list[str]:
    status, body, _ = client.get(f"/execution/{guid}")
    assert status == 200, body
    return [event["sfn_event_type"] for event in body["history"]]


def history(client: ApiClient, guid: str) -> list[dict]:
    status, body, _ = client.get(f"/execution/{guid}")
    assert status == 200, body
    return body["history"]


APPROVERS = "security-approvers"  # the approvers' group of the developer and admin roles (config/roles.toml)


def elevation(role: str = "developer", **extra: Any) -> dict:
    """An input for the ``default`` (elevation) workflow: approvers come from the role's policy."""
    return {"role": role, "provider": "aws", "reason": "e2e", **extra}


def grant_state(client: ApiClient, guid: str) -> dict:
    status, body, _ = client.get(f"/executions/{guid}")
    assert status == 200, body
    return body.get("grant") or {}


def wait_for_grant(client: ApiClient, guid: str, state: str) -> dict:
    return wait_for(lambda: (grant := grant_state(client, guid)).get("state") == state and grant)


def pending_signal(client: ApiClient, guid: str) -> dict | None:
    """The caller's pending decision for execution ``guid`` from ``GET /signals`` (every page), if any."""
    query: dict[str, Any] = {"limit": 100}
    while True:
        status, body, _ = client.get("/signals", query=query)
        assert status == 200, body
        found = next((signal for signal in body["signals"] if signal["guid"] == guid), None)
        if found or not body["next_token"]:
            return found
        query["next_token"] = body["next_token"]


def wait_for_signal(client: ApiClient, guid: str) -> dict:
    return wait_for(lambda: pending_signal(client, guid))


def follow(client: ApiClient, link: str) -> Reply:
    """Opens a decision link (``http://host:port/api/v1/execution/<id>/signal?input=...``) as ``client``."""
    url = urllib.parse.urlsplit(link)
    base_path = urllib.parse.urlsplit(client.base_url).path
    return client.get(url.path.removeprefix(base_path) + "?" + url.query)


def link_path(guid: str, token: str) -> str:
    """The signal path of execution ``guid`` carrying ``token``, relative to the API's base."""
    return f"/execution/{guid}/signal?input={urllib.parse.quote(token, safe='')}"


def token_of(link: str) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["input"][0]


def embedded_aws(base_url: str, service: str) -> Any:
    """A boto3 client of the server's embedded AWS (``<origin>/_aws``), as a user would look."""
    origin = base_url.removesuffix("/api/v1")
    return boto3.client(
        service,
        endpoint_url=f"{origin}/_aws",
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def group_members(base_url: str, group: str) -> set[str]:
    """Who is in IAM group ``group`` of the server's embedded AWS."""
    users = embedded_aws(base_url, "iam").get_group(GroupName=group)["Users"]
    return {user["UserName"] for user in users}


def identity_center_user(base_url: str, identity_store_id: str, email: str) -> str:
    """The Identity Store user id the server's embedded Identity Center has for ``email`` (made
    when that person first called the API)."""
    found = embedded_aws(base_url, "identitystore").get_user_id(
        IdentityStoreId=identity_store_id,
        AlternateIdentifier={"UniqueAttribute": {"AttributePath": "emails.value", "AttributeValue": email}},
    )
    return str(found["UserId"])


def assignees(base_url: str, instance_arn: str, account: str, permission_set_arn: str) -> set[str]:
    """The users a permission set is assigned to on an account, in the server's embedded Identity Center."""
    pages = (
        embedded_aws(base_url, "sso-admin")
        .get_paginator("list_account_assignments")
        .paginate(InstanceArn=instance_arn, AccountId=account, PermissionSetArn=permission_set_arn)
    )
    return {each["PrincipalId"] for page in pages for each in page["AccountAssignments"]}


def inject_fault(base_url: str, service: str, operation: str, code: str, match: dict[str, Any] | None = None) -> None:
    """Makes the server's functions' ``operation`` calls fail with ``code`` (those whose parameters
    include ``match``), until :func:`clear_faults` (``/_local/faults``, ``toolkit.faults``)."""
    origin = ApiClient(base_url.removesuffix("/api/v1"))
    reply = origin.post("/_local/faults", {"service": service, "operation": operation, "code": code, "match": match})
    assert reply.status == 201, reply


def clear_faults(base_url: str) -> None:
    assert ApiClient(base_url.removesuffix("/api/v1")).delete("/_local/faults").status == 200


def invoke_function(base_url: str, logical_id: str, event: dict[str, Any] | None = None) -> Any:
    """Runs one of the stack's functions now, as ``aws lambda invoke`` does (the server's ``/_aws``)."""
    reply = embedded_aws(base_url, "lambda").invoke(
        FunctionName=f"{STACK_NAME}-{logical_id}", Payload=json.dumps(event or {}).encode()
    )
    assert "FunctionError" not in reply, reply
    return json.loads(reply["Payload"].read())
