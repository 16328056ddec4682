"""Execution ids: every path ``{id}`` is a guid or the Step Functions execution ARN."""

from __future__ import annotations

import re
from urllib.parse import unquote

from execution_api.models.errors import InvalidRequest

_GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_ANY_CASE_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_EXECUTION_ARN = rf"arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{{12}}:execution:[A-Za-z0-9_-]{{1,80}}:(?P<guid>{_GUID})"
# What ``{id}`` accepts, also stated in the OpenAPI document.
ID_PATTERN = rf"^(?:{_ANY_CASE_GUID}|{_EXECUTION_ARN.replace('(?P<guid>', '(?:')})$"
_ID = re.compile(rf"^(?:(?P<bare>{_ANY_CASE_GUID})|{_EXECUTION_ARN})$")


def guid_from_id(value: str, field: str = "id") -> str:
    """The guid named by ``value``; a URL-encoded ARN is accepted too."""
    match = _ID.match(unquote(value).strip())
    if match is None:
        raise InvalidRequest(f"{field}: must be an execution guid (UUID) or execution ARN")
    return (match["bare"] or match["guid"]).lower()


def execution_arn(state_machine_arn: str, guid: str) -> str:
    """The ARN Step Functions gives an execution named ``guid`` of that state machine."""
    return f"{state_machine_arn.replace(':stateMachine:', ':execution:', 1)}:{guid}"


def state_machine_name(state_machine_arn: str) -> str:
    return state_machine_arn.rsplit(":", 1)[-1]
