"""``Idempotency-Key`` for ``POST /execution``, on Powertools idempotency.

The key is scoped to the caller (two users may pick the same key) and the stored result is
bound to a hash of the request body: the same key and body return the first result and start
nothing; the same key with another body, or while the first is still running, is a 409.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from execution_api.infra.clients import dynamodb_client
from execution_api.infra.settings import get_settings
from execution_api.models.errors import Conflict

RESULT_TTL_SECONDS = 24 * 3600
_CONFIG = IdempotencyConfig(
    event_key_jmespath="[caller, key]",
    payload_validation_jmespath="request",
    expires_after_seconds=RESULT_TTL_SECONDS,
)


@cache
def _once(operation: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """``operation`` (a module-level function, so this cache holds one entry per operation)
    wrapped by Powertools idempotency; built on first use so that importing needs no settings."""
    persistence = DynamoDBPersistenceLayer(
        table_name=get_settings().idempotency_table or "",
        key_attr="id",
        static_pk_value="start-execution",
        boto3_client=dynamodb_client(),
    )
    return idempotent_function(data_keyword_argument="command", persistence_store=persistence, config=_CONFIG)(
        operation
    )


def run_once(
    operation: Callable[[dict[str, Any]], dict[str, Any]],
    caller: str,
    key: str,
    request: dict[str, Any],
    lambda_context: Any = None,
) -> dict[str, Any]:
    """``operation(command)`` at most once per ``(caller, key)``; later calls get its result.

    With the Lambda context, an attempt that dies mid-way stops blocking the key when the
    invocation's time is up, instead of after the whole in-progress expiry."""
    if lambda_context is not None:
        _CONFIG.register_lambda_context(lambda_context)
    command = {"caller": caller, "key": key, "request": request}
    try:
        return _once(operation)(command=command)
    except IdempotencyValidationError as error:
        raise Conflict("Idempotency-Key: already used with a different request body") from error
    except IdempotencyAlreadyInProgressError as error:
        raise Conflict("Idempotency-Key: the first request with this key is still in progress") from error
