"""Property-based fuzzing of every operation of the OpenAPI document (``local.openapi.DOCUMENT``)
against the local server.

Schemathesis generates requests from the document (seeded: ``derandomize``, so every run sends
the same cases) and sends them, with a valid JWT for one fuzz user, to the server ``make run``
starts (the ``local_server`` fixture). Every response must not be a 5xx and must conform to the
document: a documented status code, a documented content type and a body matching the schema.
The number of cases per operation and in total is printed at the end (``pytest -s``).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from execution_api.infra.timefmt import parse_instant
from execution_api.models.errors import InvalidRequest
from local.openapi import DOCUMENT

FUZZ_USER = "fuzz@example.com"
MAX_EXAMPLES_PER_OPERATION = 25

# Opaque values a schema can describe but a client cannot make up: a decision link's sealed token
# and a page's signed cursor. A well-formed random one is refused with a 400 naming it.
OPAQUE_FIELDS = ("input", "next_token")

schema = schemathesis.openapi.from_path(DOCUMENT)
cases_run: Counter[str] = Counter()


def _carries_opaque_value(case: schemathesis.Case) -> bool:
    body = case.body if isinstance(case.body, dict) else {}
    return any(field in (case.query or {}) or field in body for field in OPAQUE_FIELDS)


def _breaks_a_rule_across_fields(case: schemathesis.Case) -> bool:
    """The rules OpenAPI 3.1 cannot state for parameters: a signal's token is the ``input`` query
    parameter or the body's (one of them is required), and a date range must not end before it
    starts (both bounds are ISO-8601 strings, compared after parsing)."""
    query = case.query or {}
    if case.operation.path.endswith("/signal") and "input" not in query and not isinstance(case.body, dict):
        return True
    start, end = query.get("startDate"), query.get("endDate")
    if not (start and end):
        return False
    try:
        return parse_instant(str(start), "startDate") > parse_instant(str(end), "endDate", end_of_day=True)
    except InvalidRequest:
        return False  # not a date: the positive check judges it


def valid_requests_are_accepted(ctx: CheckContext, response: Response, case: schemathesis.Case) -> bool | None:
    """Schemathesis' ``positive_data_acceptance`` (a request valid by the document is not a 400),
    except where the document cannot tell the whole truth: an opaque value the fuzzer cannot forge
    (``OPAQUE_FIELDS``), or a rule across fields."""
    if _carries_opaque_value(case) or _breaks_a_rule_across_fields(case):
        return None
    return positive_data_acceptance(ctx, response, case)


CHECKS = [
    not_a_server_error,
    valid_requests_are_accepted,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module", autouse=True)
def report_cases() -> Iterator[None]:
    """Prints how many cases were sent per operation and in total, after the module."""
    yield
    print(f"\nschemathesis cases per operation (max_examples={MAX_EXAMPLES_PER_OPERATION}):")
    for label, count in sorted(cases_run.items()):
        print(f"  {count:4d}  {label}")
    print(f"  {sum(cases_run.values()):4d}  total over {len(cases_run)} operations")


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as http:
        yield http


@pytest.fixture(scope="module")
def authorization(token_for: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(FUZZ_USER)}"}


def test_document_has_operations() -> None:
    assert len(list(schema.get_all_operations())) >= 14


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES_PER_OPERATION,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_operation_conforms(
    case: schemathesis.Case, local_server: str, session: requests.Session, authorization: dict[str, str]
) -> None:
    cases_run[case.operation.label] += 1
    response = case.call(base_url=local_server, session=session, headers=authorization, timeout=30)
    case.validate_response(response, checks=CHECKS, headers=authorization)


def test_a_started_execution_conforms(
    local_server: str, session: requests.Session, authorization: dict[str, str]
) -> None:
    """Random bodies almost never name an enabled workflow with a valid input: one that does."""
    workflow_input = {"role": "developer", "provider": "aws", "reason": "fuzz"}
    case = schema["/execution"]["POST"].Case(body={"workflow": "default", "input": workflow_input})
    cases_run[case.operation.label] += 1
    response = case.call(base_url=local_server, session=session, headers=authorization, timeout=30)
    assert response.status_code == 201, response.text
    case.validate_response(response, checks=CHECKS, headers=authorization)


@pytest.mark.parametrize(
    ("content_type", "body", "field"),
    [
        ("text/plain", b'{"isPublic": true}', "content-type"),
        ("multipart/form-data", b'{"isPublic": true}', "content-type"),
        ("application/json", b'{"isPublic": \xff}', "body"),
    ],
)
def test_a_body_that_is_not_json_is_a_400(
    local_server: str,
    session: requests.Session,
    authorization: dict[str, str],
    content_type: str,
    body: bytes,
    field: str,
) -> None:
    """Found by the fuzzer: these were 500s (Powertools raised before validation)."""
    headers = {**authorization, "Content-Type": content_type}
    response = session.put(f"{local_server}/executions/{uuid.uuid4()}", data=body, headers=headers, timeout=30)
    assert response.status_code == 400, response.text
    assert response.json()["details"][0]["field"] == field


def test_an_undocumented_method_is_a_404(local_server: str, session: requests.Session) -> None:
    """Found by the fuzzer: TRACE and other methods got http.server's 501; API Gateway says 404."""
    response = session.request("TRACE", f"{local_server}/signals", timeout=30)
    assert response.status_code == 404, response.text
