"""GET|POST /execution/{id}/cancel: graceful: the workflow runs its cleanup, then ends as STOPPED."""

from execution_api.api.resolver import ExecutionIdPath, create_app, current_caller, lambda_entry
from execution_api.logic.cancel_execution import cancel
from execution_api.models.ids import guid_from_id
from execution_api.models.responses import ControlResult

app = create_app()


@app.route("/execution/<id>/cancel", method=["GET", "POST"])
def cancel_execution(id: ExecutionIdPath) -> ControlResult:
    cancel(current_caller(app), guid_from_id(id))
    return ControlResult(message="Workflow cancellation signal sent")


lambda_handler = lambda_entry(app)
