"""Sample events from ``events/`` (the ones ``sam local invoke -e`` takes), adapted per test."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from local.auth import subject_of

EVENTS_DIR = Path(__file__).resolve().parent.parent / "events"
# The foundation's HTTP endpoints, each with a sample event named after its function.
FOUNDATION_ENDPOINTS = (
    "list_executions",
    "get_execution",
    "update_execution",
    "delete_execution",
    "delete_executions",
    "start_execution",
    "describe_execution",
    "cancel_execution",
    "terminate_execution",
)
UNCHANGED: Any = object()
GROUPS_CLAIM = "execution_api_groups"
# The issuer of the sample events' tokens.
ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example"


@cache
def _raw(name: str) -> str:
    return (EVENTS_DIR / f"{name}.json").read_text()


def load_event(name: str) -> dict[str, Any]:
    """A fresh copy of ``events/<name>.json``."""
    return json.loads(_raw(name))


def groups_claim(groups: list[str]) -> str | None:
    """The groups claim as the identity provider issues it: a JSON array in a string."""
    return json.dumps(groups) if groups else None


def claims_for(user: str, groups: list[str] | None = None) -> dict[str, Any]:
    """Claims of ``user`` (a verified email); ``sub`` is derived from it, as the local identity
    provider derives it (``local.auth.subject_of``)."""
    return {
        "iss": ISSUER,
        "email": user,
        "email_verified": "true",
        "sub": subject_of(user),
        GROUPS_CLAIM: groups_claim(groups or []),
    }


def owner_of(user: str) -> str:
    """The canonical identity (``<iss>#<sub>``) the API gives ``user``'s requests."""
    return f"{ISSUER}#{subject_of(user)}"


def http_event(
    name: str,
    *,
    path_parameters: dict[str, str] | None = None,
    query: dict[str, str] | None = UNCHANGED,
    body: Any = UNCHANGED,
    claims: dict[str, Any] | None = None,
    user: str | None = None,
    groups: list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """``events/<name>.json`` with the given overrides, kept consistent with each other.

    ``path_parameters`` re-render ``rawPath`` (URL-encoded) from the route; ``query`` replaces
    the query string (``None``: none); ``body`` is JSON-encoded unless it is a ``str`` (``None``:
    no body); ``claims`` are merged into the authorizer's (a ``None`` value removes a claim);
    ``user``/``groups`` are shorthands for the claims of that identity.
    """
    event = load_event(name)
    if path_parameters is not None:
        event["pathParameters"] = {**event.get("pathParameters", {}), **path_parameters}
        path = event["routeKey"].split(" ", 1)[1]
        for key, value in event["pathParameters"].items():
            path = path.replace("{" + key + "}", quote(value, safe=""))
        event["rawPath"] = event["requestContext"]["http"]["path"] = path
    if query is not UNCHANGED:
        event.pop("queryStringParameters", None)
        event["rawQueryString"] = urlencode(query or {})
        if query:
            event["queryStringParameters"] = dict(query)
    if body is not UNCHANGED:
        event.pop("body", None)
        if body is not None:
            event["body"] = body if isinstance(body, str) else json.dumps(body)
    merged: dict[str, Any] = {}
    if user:
        merged.update(claims_for(user, groups))
    elif groups is not None:
        merged[GROUPS_CLAIM] = groups_claim(groups)
    merged.update(claims or {})
    if merged:
        current = event["requestContext"]["authorizer"]["jwt"]["claims"]
        current.update(merged)
        for key in [key for key, value in current.items() if value is None]:
            del current[key]
    if headers:
        event["headers"].update(headers)
    return event


def status_change(guid: str, execution_arn: str, status: str, error: str | None = None) -> dict:
    """The "Step Functions Execution Status Change" event of an execution that ended as ``status``."""
    event = load_event("sync_status")
    event["detail"].update(
        {"executionArn": execution_arn, "name": guid, "status": status, "error": error, "cause": None, "output": None}
    )
    return event
