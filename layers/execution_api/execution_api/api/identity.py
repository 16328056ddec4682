"""Who is calling: derived from the JWT claims API Gateway's authorizer has verified.

- The canonical identity is the issuer plus ``sub`` (``<iss>#<sub>``): an issuer URL has no ``#``,
  so no two pairs make the same string. Records are owned by it.
- The email counts only when ``email_verified`` is true, or when the deployment says its identity
  provider issues verified emails only (``IdpEmailsVerified``): an unverified email could name
  anybody.
- Groups come from one claim holding a JSON array in a string (see ``_groups``).
- The bearer is the ID token; a Cognito access token (``token_use: access``) is refused.
"""

from __future__ import annotations

import json
from typing import Any

from execution_api.models.caller import Caller
from execution_api.models.errors import Unauthorized


def _groups(value: Any) -> frozenset[str]:
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
            return frozenset()
    else:
        return frozenset()
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        return frozenset()
    return frozenset(names)


def _is_true(value: Any) -> bool:
    """A boolean claim: JSON ``true``, or ``"true"`` as HTTP API passes it."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def caller_from_claims(
    claims: dict[str, Any] | None, groups_claim: str, admin_group: str, *, trust_unverified_email: bool = False
) -> Caller:
    claims = claims or {}
    issuer, subject = str(claims.get("iss") or ""), str(claims.get("sub") or "")
    if not issuer or not subject:
        raise Unauthorized("Authentication required")
    if claims.get("token_use") == "access":
        # A Cognito access token: no email and no groups. The API takes the ID token.
        raise Unauthorized("Authentication required: send the ID token")
    email = str(claims.get("email") or "").strip() or None
    if email and not (trust_unverified_email or _is_true(claims.get("email_verified"))):
        email = None
    groups = _groups(claims.get(groups_claim))
    return Caller(
        identity=f"{issuer}#{subject}",
        email=email,
        groups=groups,
        is_admin=admin_group in groups,
        display=email or subject,
    )
