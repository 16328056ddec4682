"""Execution ids: every path ``{id}`` is a guid or the Step Functions execution ARN."""

from __future__ import annotations

import re
from urllib.parse import unquote

from execution_api.errors import InvalidRequest

_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_EXECUTION_ARN = re.compile(r"^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[A-Za-z0-9_-]{1,80}:(?P<guid>[^:]+)$")


def guid_from_id(value: str, field: str = "id") -> str:
    """The guid named by ``value``; a URL-encoded ARN is accepted too."""
    candidate = unquote(value).strip()
    if _GUID.match(candidate.lower()):
        return candidate.lower()
    match = _EXECUTION_ARN.match(candidate)
    if match and _GUID.match(match["guid"]):
        return match["guid"]
    raise InvalidRequest(f"{field}: must be an execution guid (UUID) or execution ARN")


def execution_arn(state_machine_arn: str, guid: str) -> str:
    """The ARN Step Functions gives an execution named ``guid`` of that state machine."""
    return f"{state_machine_arn.replace(':stateMachine:', ':execution:', 1)}:{guid}"


def state_machine_name(state_machine_arn: str) -> str:
    return state_machine_arn.rsplit(":", 1)[-1]
