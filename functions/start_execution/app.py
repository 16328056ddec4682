"""POST /execution: start a workflow execution (retry-safe with an ``Idempotency-Key`` header)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Header

from execution_api.api.resolver import create_app, current_caller, lambda_entry
from execution_api.logic.start_execution import start_idempotent
from execution_api.models.requests import StartExecutionRequest
from execution_api.models.responses import StartedExecution

app = create_app()


@app.post("/execution", status_code=201)
def start_execution(
    body: StartExecutionRequest,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")
    ] = None,
) -> Response[StartedExecution]:
    started = start_idempotent(current_caller(app), body, idempotency_key, app.lambda_context)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=started)


lambda_handler = lambda_entry(app)
