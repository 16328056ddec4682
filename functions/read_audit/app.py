"""GET /executions/{id}/audit: an elevation's audit trail (admins)."""

from execution_api.api.resolver import ExecutionIdPath, create_app, current_caller, lambda_entry
from execution_api.logic.read_audit import read_audit
from execution_api.models.responses import AuditTrailResponse

app = create_app()


@app.get("/executions/<id>/audit")
def get_audit_trail(id: ExecutionIdPath) -> AuditTrailResponse:
    return read_audit(current_caller(app), id)


lambda_handler = lambda_entry(app)
