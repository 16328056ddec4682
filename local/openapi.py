"""One OpenAPI 3 document for the whole API, merged from each function's own routes.

Every function in ``template.yaml`` with HttpApi events is imported and asked for its
Powertools OpenAPI schema; paths and component schemas are merged. Two things each function
cannot say by itself are added here: the JWT security every route has (the authorizer), and the
error responses of ``execution_api.http`` (400 instead of Powertools' default 422).

``python -m local.openapi`` rewrites the document where the console function ships it
(``functions/console/static/openapi.json``: the console serves it at ``/console/openapi.json`` and
Swagger UI at ``/console/docs/``, in AWS as locally); the tests fail when it drifts. The local
server also serves it at ``/api/v1/openapi.json``, and ``/api/v1/docs`` leads to the console's page.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, get_args, get_type_hints

from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel

from execution_api.models.responses import ErrorBody
from local import auth
from local.apigw import HttpResponse
from toolkit.functions import handler_module, handler_source
from toolkit.template import ACCOUNT_ID, FUNCTION, ROOT, Resolver, load_template, resources_of_type

DOCUMENT = ROOT / "functions" / "console" / "static" / "openapi.json"
BASE_PATH = "/api/v1"
DOCS_PAGE = "/console/docs/"
# A request without a valid token never reaches a function: API Gateway's JWT authorizer answers
# 401 with its own fixed body (``{"message": "Unauthorized"}``, see ``local.apigw``), which has no
# ``statusCode``. The layer's own 401 (``Unauthorized``) carries the contract's ``Error`` body, which
# this schema also accepts.
_GATEWAY_ERROR_SCHEMA = {
    "type": "object",
    "required": ["message"],
    "properties": {"message": {"type": "string"}},
}
_SCHEMA_BY_ERROR = {"401": "GatewayError"}
_ERRORS = {
    "400": "Invalid request: the message names the field",
    "401": 'No or invalid token (the authorizer\'s body: {"message": "Unauthorized"})',
    "404": "No such execution, or not the caller's",
    "409": "Not allowed in the execution's current state",
    "413": "Body larger than 256 KiB",
    "500": "Internal server error",
    "503": "A dependency is busy: retry after Retry-After seconds",
}
_SIGNAL_ERRORS = {
    "403": "The link is addressed to someone else, or to the requester",
    "410": "The link has expired",
}
# The errors only some operations answer, by the end of their path.
_ERRORS_BY_PATH = {
    "/signal": _SIGNAL_ERRORS,
    "/signals/inspect": _SIGNAL_ERRORS,
    "/audit": {"403": "Only admins read audit trails"},
    "/execution": {"403": "The caller may not start this workflow, or request this role (the roles policy)"},
}


def _is_api_route(event: dict[str, Any]) -> bool:
    return event.get("Type") == "HttpApi" and str(event.get("Properties", {}).get("Path", "")).startswith(BASE_PATH)


def _http_functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The functions that serve the API (not the console's pages)."""
    functions = resources_of_type(template, FUNCTION)
    return {
        name: spec
        for name, spec in sorted(functions.items())
        if any(_is_api_route(event) for event in spec.get("Properties", {}).get("Events", {}).values())
    }


def _error_schemas() -> dict[str, Any]:
    """``Error`` (``ErrorBody``, every error body of the layer) and the models it uses."""
    schema = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    models = schema.pop("$defs", {})
    return {"Error": {**schema, "title": "Error"}, **models}


def _query_models(module: Any) -> dict[tuple[str, str], type[BaseModel]]:
    """``{(path, method): model}`` for each route taking its query as one model (``Annotated[M, Query()]``)."""
    found = {}
    for route in [*module.app._static_routes, *module.app._dynamic_routes]:
        for hint in get_type_hints(route.func, include_extras=True).values():
            model, *extras = get_args(hint) or (None,)
            if isinstance(model, type) and issubclass(model, BaseModel) and any(isinstance(e, Query) for e in extras):
                found[(route.openapi_path, route.method.lower())] = model
    return found


def _with_model_constraints(operation: dict[str, Any], model: type[BaseModel]) -> None:
    """Powertools states only the type of each field of a query model; the model's own schema
    states what the API enforces (ranges, patterns, enums, formats)."""
    properties = model.model_json_schema()["properties"]
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "query" and parameter["name"] in properties:
            parameter["schema"] = _without_null(properties[parameter["name"]])


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional field's schema (``anyOf: [X, null]``) as a query parameter's: X (a query
    string cannot carry a null; leaving the parameter out is how a client says none)."""
    schema = {key: value for key, value in schema.items() if key not in ("title", "default") or value is not None}
    options = [option for option in schema.get("anyOf", []) if option != {"type": "null"}]
    if "anyOf" in schema and len(options) == 1:
        rest = {key: value for key, value in schema.items() if key != "anyOf"}
        return {**options[0], **rest}
    return schema


def _error_responses(path: str) -> dict[str, Any]:
    extra = next((errors for suffix, errors in _ERRORS_BY_PATH.items() if path.endswith(suffix)), {})
    errors = {**_ERRORS, **extra}
    return {
        code: {
            "description": text,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{_SCHEMA_BY_ERROR.get(code, 'Error')}"}}
            },
        }
        for code, text in sorted(errors.items())
    }


def build_document() -> dict[str, Any]:
    template = load_template()
    resolver = Resolver(template, ACCOUNT_ID, parameter_overrides=auth.template_parameters(auth.DEFAULT_ISSUER))
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "execution-api", "version": "1.0.0", "description": template.get("Description", "")},
        "servers": [{"url": BASE_PATH}],
        "paths": {},
        "components": {
            "schemas": {**_error_schemas(), "GatewayError": _GATEWAY_ERROR_SCHEMA},
            "securitySchemes": {"jwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "security": [{"jwt": []}],
    }
    for logical_id in _http_functions(template):
        module = handler_module(handler_source(template, logical_id, resolver)[0])
        schema = module.app.get_openapi_schema(title="execution-api").model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
        query_models = _query_models(module)
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                model = query_models.get((path, method))
                if model is not None:
                    _with_model_constraints(operation, model)
                responses = {code: body for code, body in operation.get("responses", {}).items() if code != "422"}
                operation["responses"] = {**responses, **_error_responses(path)}
                document["paths"].setdefault(path, {})[method] = operation
        document["components"]["schemas"].update(schema.get("components", {}).get("schemas", {}))
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError", "ListExecutionsQuery"):
        # Powertools' 422 schemas (the API answers 400: ``Error``), and the list query's model,
        # whose fields are the operation's parameters.
        document["components"]["schemas"].pop(unused, None)
    return document


def docs_response(raw_path: str) -> HttpResponse | None:
    """The document, or a redirect to the console's Swagger UI; ``None`` for any other path."""
    if raw_path == f"{BASE_PATH}/openapi.json":
        return HttpResponse(200, [("content-type", "application/json")], DOCUMENT.read_bytes())
    if raw_path in (f"{BASE_PATH}/docs", f"{BASE_PATH}/docs/"):
        return HttpResponse(302, [("location", DOCS_PAGE)], b"")
    return None


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DOCUMENT)
    args = parser.parse_args(argv)
    args.output.write_text(render(build_document()))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
