"""PUT /executions/{id}: stop, terminate, or change visibility."""

from execution_api.executions import update_execution
from execution_api.http import create_app, current_caller, lambda_entry
from execution_api.models import UpdateExecutionRequest

app = create_app()


@app.put("/executions/<id>")
def put_execution(id: str, body: UpdateExecutionRequest) -> dict:
    return update_execution(current_caller(app), id, body)


lambda_handler = lambda_entry(app)
