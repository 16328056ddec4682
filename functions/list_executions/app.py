"""GET /executions: the caller's executions, newest first, filtered and paginated."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from execution_api.api.resolver import create_app, current_caller, lambda_entry
from execution_api.logic.list_executions import list_executions
from execution_api.models.requests import ListExecutionsQuery
from execution_api.models.responses import ExecutionPage

app = create_app()


@app.get("/executions")
def get_executions(query: Annotated[ListExecutionsQuery, Query()]) -> ExecutionPage:
    return list_executions(current_caller(app), query)


lambda_handler = lambda_entry(app)
