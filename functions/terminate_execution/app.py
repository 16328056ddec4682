"""GET|POST /execution/{id}/terminate: forceful: StopExecution, no cleanup, ends as TERMINATED."""

from execution_api.api.resolver import ExecutionIdPath, create_app, current_caller, lambda_entry
from execution_api.logic.terminate_execution import terminate
from execution_api.models.ids import guid_from_id
from execution_api.models.responses import ControlResult

app = create_app()


@app.route("/execution/<id>/terminate", method=["GET", "POST"])
def terminate_execution(id: ExecutionIdPath) -> ControlResult:
    terminate(current_caller(app), guid_from_id(id))
    return ControlResult(message="Workflow termination signal sent")


lambda_handler = lambda_entry(app)
