"""GET /signals: the decisions waiting for the caller, each with fresh approve/deny links."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from execution_api.api.resolver import create_app, current_caller, lambda_entry, request_origin
from execution_api.logic.list_signals import pending_signals
from execution_api.models.responses import SignalList

app = create_app()


@app.get("/signals")
def list_signals(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next_token: Annotated[str | None, Query(min_length=1, max_length=2048)] = None,
) -> SignalList:
    return pending_signals(current_caller(app), request_origin(app), limit, next_token)


lambda_handler = lambda_entry(app)
