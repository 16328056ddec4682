"""GET /signals: the decisions waiting for the caller, each with fresh approve/deny links."""

from execution_api.decisions import pending_signals
from execution_api.http import create_app, current_caller, lambda_entry, request_origin

app = create_app()


@app.get("/signals")
def list_signals() -> dict:
    return pending_signals(current_caller(app), request_origin(app))


lambda_handler = lambda_entry(app)
