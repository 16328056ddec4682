"""GET /executions/{id}: one execution record."""

from execution_api.executions import get_execution
from execution_api.http import create_app, current_caller, lambda_entry

app = create_app()


@app.get("/executions/<id>")
def get_execution_record(id: str) -> dict:
    return get_execution(current_caller(app), id)


lambda_handler = lambda_entry(app)
