"""GET /signals: the decisions waiting for the caller, each with fresh approve/deny links."""

from execution_api.api.resolver import create_app, current_caller, lambda_entry, request_origin
from execution_api.logic.list_signals import pending_signals
from execution_api.models.responses import SignalList

app = create_app()


@app.get("/signals")
def list_signals() -> SignalList:
    return pending_signals(current_caller(app), request_origin(app))


lambda_handler = lambda_entry(app)
