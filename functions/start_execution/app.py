"""POST /execution: start a workflow execution."""

from aws_lambda_powertools.event_handler import Response, content_types

from execution_api.control import start
from execution_api.http import create_app, current_caller, lambda_entry
from execution_api.models import StartedExecution, StartExecutionRequest

app = create_app()


@app.post("/execution")
def start_execution(body: StartExecutionRequest) -> Response[StartedExecution]:
    started = start(current_caller(app), body)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=started)


lambda_handler = lambda_entry(app)
