"""GET|POST /execution/{id}/signal?input=<token>: a recipient's decision resumes the workflow."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from execution_api.decisions import submit_signal
from execution_api.http import create_app, current_caller, lambda_entry

app = create_app()


@app.route("/execution/<id>/signal", method=["GET", "POST"])
def signal_execution(id: str, input: Annotated[str, Query(min_length=1, max_length=4096)]) -> dict:
    return submit_signal(current_caller(app), id, input)


lambda_handler = lambda_entry(app)
