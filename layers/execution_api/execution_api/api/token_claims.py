"""Group membership in the ID tokens of the stack's Cognito user pool: the logic of its pre token
generation trigger (event version V2_0).

The API reads groups from one claim holding a JSON array in a string (``api.identity``): HTTP API
passes string claims through unchanged but flattens an array claim such as ``cognito:groups``
into ``[a b]``, where a group named ``x execution-admins`` would pass for ``execution-admins``.
The trigger writes that claim from the groups Cognito itself reports for the user, and it
overrides any claim of the same name, so nothing a user can edit reaches it.

Only the ID token gets the claim. It is the token the API takes; an access token has no
``email`` (the API would know its bearer by ``sub`` alone) and the API's authorizer accepts a
Cognito access token by its ``client_id``, so group membership stays out of access tokens.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from aws_lambda_powertools.utilities.data_classes.cognito_user_pool_event import PreTokenGenerationV2TriggerEvent


def groups_claim_value(groups: Iterable[str]) -> str:
    """The groups as the API reads them: a JSON array of names, in a string."""
    return json.dumps(list(groups))


def add_groups_claim(event: PreTokenGenerationV2TriggerEvent, claim: str) -> list[str]:
    """Puts the user's Cognito groups in the ID token's ``claim``; returns those groups."""
    groups = event.request.group_configuration.groups_to_override
    id_token = event.response.claims_scope_override_details.id_token_generation
    id_token.claims_to_add_or_override = {**id_token.claims_to_add_or_override, claim: groups_claim_value(groups)}
    return groups
