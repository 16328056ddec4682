"""GET /execution/{id}: the execution resource plus its Step Functions history."""

from execution_api.history import describe_execution
from execution_api.http import create_app, current_caller, lambda_entry

app = create_app()


@app.get("/execution/<id>")
def get_execution_with_history(id: str) -> dict:
    return describe_execution(current_caller(app), id)


lambda_handler = lambda_entry(app)
