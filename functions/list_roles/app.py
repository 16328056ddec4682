"""GET /roles: the roles the caller may request, with their limits."""

from execution_api.api.resolver import create_app, current_caller, lambda_entry
from execution_api.logic.list_roles import list_roles
from execution_api.models.responses import RoleList

app = create_app()


@app.get("/roles")
def get_roles() -> RoleList:
    return list_roles(current_caller(app))


lambda_handler = lambda_entry(app)
