"""Who is calling: derived from the JWT claims API Gateway's authorizer has verified."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from execution_api.errors import Unauthorized


@dataclass(frozen=True)
class Caller:
    identity: str
    is_admin: bool = False

    def may_access(self, owner: str) -> bool:
        return self.is_admin or owner == self.identity


def _groups(value: Any) -> set[str]:
    """HTTP API flattens array claims into a string such as ``[admins ops]``."""
    if isinstance(value, list):
        return {str(group) for group in value}
    if isinstance(value, str):
        return {part for part in value.strip("[]").replace(",", " ").split() if part}
    return set()


def caller_from_claims(claims: dict[str, Any] | None, groups_claim: str, admin_group: str) -> Caller:
    claims = claims or {}
    identity = claims.get("email") or claims.get("sub")
    if not identity:
        raise Unauthorized("Authentication required")
    return Caller(identity=str(identity), is_admin=admin_group in _groups(claims.get(groups_claim)))
