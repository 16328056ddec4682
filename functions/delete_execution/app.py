"""DELETE /executions/{id}: delete one ended execution record."""

from execution_api.api.resolver import ExecutionIdPath, create_app, current_caller, lambda_entry
from execution_api.logic.delete_executions import delete_execution
from execution_api.models.responses import DeleteResult

app = create_app()


@app.delete("/executions/<id>")
def delete_execution_record(id: ExecutionIdPath) -> DeleteResult:
    return delete_execution(current_caller(app), id)


lambda_handler = lambda_entry(app)
