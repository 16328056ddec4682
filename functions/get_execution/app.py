"""GET /executions/{id}: one execution record."""

from execution_api.api.resolver import ExecutionIdPath, create_app, current_caller, lambda_entry
from execution_api.logic.get_execution import get_execution
from execution_api.models.responses import ExecutionResource

app = create_app()


@app.get("/executions/<id>")
def get_execution_record(id: ExecutionIdPath) -> ExecutionResource:
    return get_execution(current_caller(app), id)


lambda_handler = lambda_entry(app)
