"""PUT /executions/{id}: stop, terminate, or change visibility."""

from execution_api.execution_updates import UpdateExecutionRequest, update_execution
from execution_api.http import create_app, current_caller, lambda_entry

app = create_app()


@app.put("/executions/<id>")
def put_execution(id: str, body: UpdateExecutionRequest) -> dict:
    return update_execution(current_caller(app), id, body)


lambda_handler = lambda_entry(app)
