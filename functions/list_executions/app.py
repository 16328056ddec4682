"""GET /executions: the caller's executions, newest first, filtered and paginated."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from execution_api.execution_listing import ListExecutionsQuery, list_executions
from execution_api.http import create_app, current_caller, lambda_entry
from execution_api.models import StateName, StatusName

app = create_app()

Text = Annotated[str | None, Query(min_length=1, max_length=256)]


@app.get("/executions")
def get_executions(
    page: Annotated[int, Query(ge=1, le=10000)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 12,
    next_token: Annotated[str | None, Query(min_length=1, max_length=2048)] = None,
    guid: Text = None,
    agentflowId: Text = None,
    agentflowName: Text = None,
    workflow: Text = None,
    sessionId: Annotated[str | None, Query(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@-]+$")] = None,
    state: Annotated[StateName | None, Query()] = None,
    status: Annotated[StatusName | None, Query()] = None,
    startDate: Annotated[str | None, Query(min_length=10, max_length=40)] = None,
    endDate: Annotated[str | None, Query(min_length=10, max_length=40)] = None,
) -> dict:
    query = ListExecutionsQuery(
        page=page,
        limit=limit,
        next_token=next_token,
        guid=guid,
        agentflowId=agentflowId,
        agentflowName=agentflowName,
        workflow=workflow,
        sessionId=sessionId,
        state=state,
        status=status,
        startDate=startDate,
        endDate=endDate,
    )
    return list_executions(current_caller(app), query)


lambda_handler = lambda_entry(app)
