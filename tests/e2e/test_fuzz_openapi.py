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
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from local.openapi import DOCUMENT

FUZZ_USER = "fuzz@example.com"
MAX_EXAMPLES_PER_OPERATION = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

schema = schemathesis.openapi.from_path(DOCUMENT)
cases_run: Counter[str] = Counter()


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
