"""The one place that maps errors to HTTP: domain errors to their status codes, request
validation to 400 naming the field, AWS throttling to 503 with Retry-After, anything else to a
500 without details. Every body is the contract's ``ErrorBody``."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from execution_api.infra.aws_errors import code_of, is_retryable
from execution_api.infra.observability import logger
from execution_api.models.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    InvalidRequest,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
)
from execution_api.models.responses import ErrorBody, ErrorDetail

RETRY_AFTER_SECONDS = 2

_STATUS_BY_ERROR: dict[type[DomainError], HTTPStatus] = {
    InvalidRequest: HTTPStatus.BAD_REQUEST,
    Unauthorized: HTTPStatus.UNAUTHORIZED,
    Forbidden: HTTPStatus.FORBIDDEN,
    Gone: HTTPStatus.GONE,
    NotFound: HTTPStatus.NOT_FOUND,
    Conflict: HTTPStatus.CONFLICT,
    ServiceUnavailable: HTTPStatus.SERVICE_UNAVAILABLE,
}


def error_response(status: HTTPStatus, message: str, details: list[dict] | None = None) -> Response:
    error = ErrorBody(
        statusCode=int(status), message=message, details=[ErrorDetail(**detail) for detail in details or []] or None
    )
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == HTTPStatus.SERVICE_UNAVAILABLE else None
    body = error.model_dump(exclude_none=True)
    return Response(status_code=int(status), content_type=content_types.APPLICATION_JSON, body=body, headers=headers)


def _field_name(location: tuple[Any, ...]) -> str:
    """``('body', 'executionIds', 0)`` → ``executionIds[0]``; ``('query', 'limit')`` → ``limit``;
    ``('query', 'query', 'limit')`` (a field of a query model parameter) → ``limit``."""
    if len(location) > 2 and location[0] in ("query", "header"):
        location = (location[0], *location[2:])
    name = ""
    for part in location[1:]:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or str(location[0]) if location else "request"


def _issue_field(issue: dict[str, Any]) -> str:
    # A body that is not JSON is reported at ("body", <character offset>): the field is the body.
    if issue.get("type") == "json_invalid":
        return "body"
    return _field_name(tuple(issue["loc"]))


def _validation_error(error: RequestValidationError) -> Response:
    details = [{"field": _issue_field(issue), "message": issue["msg"]} for issue in error.errors()]
    summary = "; ".join(f"{detail['field']}: {detail['message']}" for detail in details)
    return error_response(HTTPStatus.BAD_REQUEST, f"Invalid request: {summary}", details)


_UNSUPPORTED_CONTENT_TYPE = {"field": "content-type", "message": "Unsupported content type: send application/json"}


def _unsupported_content_type(error: Exception) -> Response:
    """A body sent as neither JSON nor a form: a validation failure (400) naming the header."""
    message = f"Invalid request: content-type: {_UNSUPPORTED_CONTENT_TYPE['message']}"
    return error_response(HTTPStatus.BAD_REQUEST, message, [dict(_UNSUPPORTED_CONTENT_TYPE)])


def _body_is_not_utf8(app: APIGatewayHttpResolver) -> bool:
    """API Gateway base64-encodes a body that is not UTF-8 text; JSON must be."""
    event = app.current_event
    if not event.is_base64_encoded or not event.body:
        return False
    try:
        base64.b64decode(event.body).decode("utf-8")
    except ValueError:
        return True
    return False


def _value_error(app: APIGatewayHttpResolver) -> Callable[[ValueError], Response]:
    """Powertools reads the body before validating it and raises a bare ``ValueError`` when it
    cannot: a body that is not UTF-8 (``UnicodeDecodeError``), a malformed ``multipart/form-data``
    body (no boundary, bytes it cannot decode). Those are the caller's 400s; any other
    ``ValueError`` is still unexpected (500)."""

    def handle(error: ValueError) -> Response:
        content_type = (app.current_event.headers or {}).get("content-type", "")
        if content_type.strip().lower().startswith("multipart/"):
            return _unsupported_content_type(error)
        if isinstance(error, UnicodeDecodeError) and _body_is_not_utf8(app):
            detail = {"field": "body", "message": "not UTF-8 encoded JSON"}
            return error_response(HTTPStatus.BAD_REQUEST, "Invalid request: body: not UTF-8 encoded JSON", [detail])
        return _unexpected(error)

    return handle


# "<field>: <what is wrong>", as every InvalidRequest says it.
_FIELD_MESSAGE = re.compile(r"^(?P<field>[A-Za-z_][\w.\[\]-]*): (?P<message>.+)$", re.DOTALL)


def _domain_error(error: DomainError) -> Response:
    """A bad request's ``details`` name its field even when the check that failed gave only a
    message, so that a client can show the message beside the field."""
    details = error.details
    match = _FIELD_MESSAGE.match(error.message)
    if details is None and isinstance(error, InvalidRequest) and match:
        details = [{"field": match["field"], "message": match["message"]}]
    return error_response(_STATUS_BY_ERROR[type(error)], error.message, details)


def _resolver_error(error: ServiceError) -> Response:
    """The resolver's own errors (no such route: 404) keep their status; without this the
    catch-all ``Exception`` handler below would turn them into 500s."""
    return error_response(HTTPStatus(error.status_code), str(error.msg))


def _aws_error(error: ClientError) -> Response:
    code = code_of(error)
    if is_retryable(error):
        logger.warning("AWS dependency throttled or failing", extra={"aws_error": code})
        return error_response(HTTPStatus.SERVICE_UNAVAILABLE, "A dependency is busy: retry shortly")
    logger.exception("Unexpected AWS error", extra={"aws_error": code})
    return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal server error")


def _unreachable(error: BotoCoreError) -> Response:
    """Connection errors and timeouts after botocore's retries: the caller may retry."""
    logger.warning("AWS dependency unreachable", extra={"aws_error": type(error).__name__})
    return error_response(HTTPStatus.SERVICE_UNAVAILABLE, "A dependency is unreachable: retry shortly")


def _unexpected(error: Exception) -> Response:
    logger.exception("Unhandled error")
    return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal server error")


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    app.exception_handler(RequestValidationError)(_validation_error)
    # Without these two, the catch-all ``Exception`` handler below would turn a body that is not
    # JSON (``text/plain``, not UTF-8, a malformed multipart body) into a 500.
    app.exception_handler(RequestUnsupportedContentType)(_unsupported_content_type)
    app.exception_handler(ValueError)(_value_error(app))
    app.exception_handler(DomainError)(_domain_error)
    app.exception_handler(ServiceError)(_resolver_error)
    app.exception_handler(ClientError)(_aws_error)
    app.exception_handler(HTTPClientError)(_unreachable)
    app.exception_handler(BotocoreConnectionError)(_unreachable)
    app.exception_handler(Exception)(_unexpected)
