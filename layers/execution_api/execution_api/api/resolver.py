"""The API Gateway HTTP API resolver every endpoint function uses: validation, the body limit,
the shared error mapping (``api.error_mapping``), the caller, and the Lambda entry point."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths

from execution_api.api.error_mapping import error_response, register_error_handlers
from execution_api.api.identity import caller_from_claims
from execution_api.infra.observability import logger
from execution_api.infra.settings import get_settings
from execution_api.models.caller import Caller
from execution_api.models.ids import ID_PATTERN
from execution_api.models.urls import API_BASE_PATH

MAX_BODY_BYTES = 256 * 1024
# An ``{id}`` in a path: its pattern is stated in the document; ``guid_from_id`` checks it.
ExecutionIdPath = Annotated[str, Path(json_schema_extra={"pattern": ID_PATTERN})]


def _limit_body_size(app: APIGatewayHttpResolver, next_middleware: Callable[..., Response]) -> Response:
    body = app.current_event.body
    if body is not None and len(body) > MAX_BODY_BYTES:
        return error_response(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body: larger than {MAX_BODY_BYTES} bytes")
    return next_middleware(app)


def create_app() -> APIGatewayHttpResolver:
    """A resolver with request validation and the shared error mapping."""
    app = APIGatewayHttpResolver(enable_validation=True, strip_prefixes=[API_BASE_PATH])
    app.use(middlewares=[_limit_body_size])
    register_error_handlers(app)
    return app


def current_caller(app: APIGatewayHttpResolver) -> Caller:
    """The authenticated caller, from the claims the JWT authorizer verified."""
    settings = get_settings()
    authorizer = app.current_event.request_context.authorizer
    claims = authorizer.jwt_claim if authorizer else None
    return caller_from_claims(claims, settings.groups_claim, settings.admin_group)


def request_origin(app: APIGatewayHttpResolver) -> str:
    """``<scheme>://<host>`` of this stack as the caller reached it (API Gateway sets
    X-Forwarded-Proto): the API is under ``API_BASE_PATH`` there, the console under ``/console``."""
    event = app.current_event
    scheme = (event.headers or {}).get("x-forwarded-proto", "https")
    return f"{scheme}://{event.request_context.domain_name}"


def lambda_entry(app: APIGatewayHttpResolver) -> Callable[[dict, Any], dict]:
    """The Lambda handler for ``app``: correlation ids in logs, then routing."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    def handler(event: dict, context: Any) -> dict:
        return app.resolve(event, context)

    return handler
