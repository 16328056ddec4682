"""DELETE /executions/{id}: delete one ended execution record."""

from execution_api.execution_deletes import DeleteResult, delete_execution
from execution_api.http import create_app, current_caller, lambda_entry

app = create_app()


@app.delete("/executions/<id>")
def delete_execution_record(id: str) -> DeleteResult:
    return delete_execution(current_caller(app), id)


lambda_handler = lambda_entry(app)
