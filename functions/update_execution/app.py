"""PUT /executions/{id}: stop, terminate, or change visibility."""

from execution_api.api.resolver import ExecutionIdPath, create_app, current_caller, lambda_entry
from execution_api.logic.update_execution import update_execution
from execution_api.models.requests import UpdateExecutionRequest
from execution_api.models.responses import ExecutionResource

app = create_app()


@app.put("/executions/<id>")
def put_execution(id: ExecutionIdPath, body: UpdateExecutionRequest) -> ExecutionResource:
    return update_execution(current_caller(app), id, body)


lambda_handler = lambda_entry(app)
