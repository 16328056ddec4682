"""DELETE /executions: delete up to 100 of the caller's ended execution records."""

from execution_api.execution_deletes import BulkDeleteRequest, DeleteResult, delete_executions
from execution_api.http import create_app, current_caller, lambda_entry

app = create_app()


@app.delete("/executions")
def delete_execution_records(body: BulkDeleteRequest) -> DeleteResult:
    return delete_executions(current_caller(app), body.executionIds)


lambda_handler = lambda_entry(app)
