"""GET|POST /execution/{id}/signal: a recipient's decision resumes the workflow. The link's token is
the ``input`` query parameter or, in a POST, the JSON body ``{"input", "comment"?}``."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from execution_api.api.resolver import ExecutionIdPath, create_app, current_caller, lambda_entry
from execution_api.logic.signal_execution import submit_signal
from execution_api.models.errors import InvalidRequest
from execution_api.models.requests import SignalRequest
from execution_api.models.responses import SignalResult

app = create_app()


@app.route("/execution/<id>/signal", method=["GET", "POST"])
def signal_execution(
    id: ExecutionIdPath,
    input: Annotated[str | None, Query(min_length=1, max_length=4096)] = None,
    body: Annotated[SignalRequest | None, Body()] = None,
) -> SignalResult:
    token = body.input if body else input
    if token is None:
        raise InvalidRequest("input: Field required (the query parameter, or the body's field)")
    return submit_signal(current_caller(app), id, token, body.comment if body else None)


lambda_handler = lambda_entry(app)
