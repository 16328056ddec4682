"""End-to-end helpers over the local server (``make run``'s), which ``tests/conftest.py`` starts
once per session (``local_server``; ``api(user, groups=None)`` gives a client whose requests carry
a token minted by ``local.token`` with the session's key; see ``tests/local_server.py``).
"""

from __future__ import annotations

import urllib.parse
import uuid
from collections.abc import Callable
from typing import Any

import boto3

from tests.local_server import ApiClient, Reply
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
