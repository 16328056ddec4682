"""Who is calling: derived from the JWT claims API Gateway's authorizer has verified."""

from __future__ import annotations

import json
from typing import Any

from execution_api.models.caller import Caller
from execution_api.models.errors import Unauthorized


def _groups(value: Any) -> set[str]:
    """The groups claim: a JSON array of names, sent as a string.

    API Gateway's HTTP API flattens an array claim into one string (``["a b", "c"]`` arrives as
    ``[a b c]``), so a group named ``x execution-admins`` would read as membership of
    ``execution-admins``. A string holding a JSON array has no such ambiguity; anything else
    (a flattened array, a bare name, a malformed value) counts as no groups at all.
    """
    if isinstance(value, list):
        names = value
    elif isinstance(value, str):
        try:
            names = json.loads(value)
        except ValueError:
            return set()
    else:
        return set()
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        return set()
    return set(names)


def caller_from_claims(claims: dict[str, Any] | None, groups_claim: str, admin_group: str) -> Caller:
    claims = claims or {}
    identity = claims.get("email") or claims.get("sub")
    if not identity:
        raise Unauthorized("Authentication required")
    return Caller(identity=str(identity), is_admin=admin_group in _groups(claims.get(groups_claim)))
