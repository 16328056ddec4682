"""GET|POST /execution/{id}/terminate: forceful: StopExecution, no cleanup, ends as TERMINATED."""

from execution_api.control import terminate
from execution_api.execution_ids import guid_from_id
from execution_api.http import create_app, current_caller, lambda_entry

app = create_app()


@app.route("/execution/<id>/terminate", method=["GET", "POST"])
def terminate_execution(id: str) -> dict:
    terminate(current_caller(app), guid_from_id(id))
    return {"status": "ok", "message": "Workflow termination signal sent"}


lambda_handler = lambda_entry(app)
