"""GET|POST /execution/{id}/cancel: graceful: the workflow runs its cleanup, then ends as STOPPED."""

from execution_api.control import cancel
from execution_api.execution_ids import guid_from_id
from execution_api.http import create_app, current_caller, lambda_entry

app = create_app()


@app.route("/execution/<id>/cancel", method=["GET", "POST"])
def cancel_execution(id: str) -> dict:
    cancel(current_caller(app), guid_from_id(id))
    return {"status": "ok", "message": "Workflow cancellation signal sent"}


lambda_handler = lambda_entry(app)
