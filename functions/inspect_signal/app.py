"""POST /signals/inspect: what a decision link decides, checked as a decision is, without deciding."""

from execution_api.decisions import SignalRequest, inspect_signal
from execution_api.http import create_app, current_caller, lambda_entry

app = create_app()


@app.post("/signals/inspect")
def inspect_decision_link(body: SignalRequest) -> dict:
    return inspect_signal(current_caller(app), body.input)


lambda_handler = lambda_entry(app)
