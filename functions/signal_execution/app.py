"""GET|POST /execution/{id}/signal: a recipient's decision resumes the workflow. The link's token is
the ``input`` query parameter or, in a POST, the JSON body ``{"input", "comment"?}``."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from execution_api.decisions import SignalRequest, submit_signal
from execution_api.errors import InvalidRequest
from execution_api.http import create_app, current_caller, lambda_entry

app = create_app()


@app.route("/execution/<id>/signal", method=["GET", "POST"])
def signal_execution(
    id: str,
    input: Annotated[str | None, Query(min_length=1, max_length=4096)] = None,
    body: Annotated[SignalRequest | None, Body()] = None,
) -> dict:
    token = body.input if body else input
    if token is None:
        raise InvalidRequest("input: Field required (the query parameter, or the body's field)")
    return submit_signal(current_caller(app), id, token, body.comment if body else None)


lambda_handler = lambda_entry(app)
