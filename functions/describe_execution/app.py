"""GET /execution/{id}: the execution resource plus its Step Functions history."""

from execution_api.api.resolver import ExecutionIdPath, create_app, current_caller, lambda_entry
from execution_api.logic.describe_execution import describe_execution
from execution_api.models.responses import ExecutionWithHistory

app = create_app()


@app.get("/execution/<id>")
def get_execution_with_history(id: ExecutionIdPath) -> ExecutionWithHistory:
    return describe_execution(current_caller(app), id)


lambda_handler = lambda_entry(app)
