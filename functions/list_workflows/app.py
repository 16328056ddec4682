"""GET /workflows: the workflows the caller may start, each with its input's JSON Schema."""

from execution_api.api.resolver import create_app, current_caller, lambda_entry
from execution_api.logic.list_workflows import list_workflows
from execution_api.models.responses import WorkflowList

app = create_app()


@app.get("/workflows")
def get_workflows() -> WorkflowList:
    return list_workflows(current_caller(app))


lambda_handler = lambda_entry(app)
