"""POST /signals/inspect: what a decision link decides, checked as a decision is, without deciding."""

from execution_api.api.resolver import create_app, current_caller, lambda_entry
from execution_api.logic.inspect_signal import inspect_signal
from execution_api.models.requests import SignalRequest
from execution_api.models.responses import SignalInspection

app = create_app()


@app.post("/signals/inspect")
def inspect_decision_link(body: SignalRequest) -> SignalInspection:
    return inspect_signal(current_caller(app), body.input)


lambda_handler = lambda_entry(app)
