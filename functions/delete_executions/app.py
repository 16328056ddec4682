"""DELETE /executions: delete up to 100 of the caller's ended execution records."""

from execution_api.api.resolver import create_app, current_caller, lambda_entry
from execution_api.logic.delete_executions import delete_executions
from execution_api.models.requests import BulkDeleteRequest
from execution_api.models.responses import DeleteResult

app = create_app()


@app.delete("/executions")
def delete_execution_records(body: BulkDeleteRequest) -> DeleteResult:
    return delete_executions(current_caller(app), body.executionIds)


lambda_handler = lambda_entry(app)
