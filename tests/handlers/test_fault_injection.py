"""AWS failures injected at the botocore layer, on the very clients the functions use."""

from __future__ import annotations

import pytest
from botocore.exceptions import EndpointConnectionError

from tests.events import http_event
from tests.http_assertions import assert_error
from tests.records import ALICE

START = {"workflow": "batch", "input": {"items": ["a"]}}
INTERNAL = {"statusCode": 500, "message": "Internal server error"}


@pytest.fixture
def post(invoke):
    def call(body=START, headers: dict[str, str] | None = None):
        return invoke("start_execution", http_event("start_execution", body=body, user=ALICE, headers=headers))

    return call


def assert_busy(reply) -> None:
    """The contract's 503: the error body and a Retry-After header (seconds)."""
    body = assert_error(reply, 503)
    assert body["message"]
    assert int(reply.headers["retry-after"]) > 0


class TestReads:
    @pytest.mark.parametrize("code", ["ThrottlingException", "ProvisionedThroughputExceededException"])
    def test_a_throttled_get_item_is_a_503_with_retry_after(self, invoke, make_record, fail_aws, code):
        record = make_record()
        throttled = fail_aws("dynamodb", "GetItem", code=code)

        reply = invoke("get_execution", http_event("get_execution", path_parameters={"id": record.guid}))

        assert_busy(reply)
        assert len(throttled.calls) == 1
        assert "Traceback" not in str(reply.body)

    def test_once_the_dependency_recovers_the_same_request_succeeds(self, invoke, make_record, fail_aws):
        record = make_record()
        event = http_event("get_execution", path_parameters={"id": record.guid})
        throttled = fail_aws("dynamodb", "GetItem")
        assert_busy(invoke("get_execution", event))
        throttled.remove()

        reply = invoke("get_execution", event)

        assert (reply.status, reply.body["guid"]) == (200, record.guid)


class TestStartExecution:
    def test_a_throttled_start_is_a_503_and_the_record_written_first_is_removed(
        self, aws, post, invoke, fail_aws, written, repository
    ):
        before = written()
        existed_at_start: list[bool] = []
        aws.client("stepfunctions").meta.events.register(
            "before-parameter-build.sfn.StartExecution",
            lambda params, **_: existed_at_start.append(repository.get(params["name"]) is not None),
        )
        throttled = fail_aws("stepfunctions", "StartExecution")

        reply = post()

        assert_busy(reply)
        assert len(throttled.calls) == 1
        assert existed_at_start == [True]
        assert written() == before
        listed = invoke("list_executions", http_event("list_executions", query=None, user=ALICE))
        assert (listed.status, listed.body["executions"], listed.body["total"]) == (200, [], 0)

    @pytest.mark.parametrize(
        ("code", "status"),
        [("ProvisionedThroughputExceededException", 503), ("InternalServerError", 503), ("AccessDeniedException", 500)],
    )
    def test_when_the_record_cannot_be_written_no_execution_is_started(
        self, post, fail_aws, written, sfn_calls, code, status
    ):
        before = written()
        refused = fail_aws("dynamodb", "PutItem", code=code)

        reply = post()

        body = assert_error(reply, status)
        if status == 503:
            assert_busy(reply)
        else:
            assert body == INTERNAL
        assert len(refused.calls) == 1
        assert [operation for operation, _ in sfn_calls if operation == "StartExecution"] == []
        assert written() == before


class TestInternalErrors:
    def test_an_unexpected_exception_is_a_bare_500(self, post, fail_aws, written):
        before = written()
        fail_aws("dynamodb", "PutItem", exception=RuntimeError("boom at /opt/python/execution_api/repository.py"))

        reply = post()

        assert_error(reply, 500)
        assert reply.body == INTERNAL
        assert "retry-after" not in reply.headers
        assert written() == before

    def test_an_unexpected_aws_error_is_a_bare_500(self, invoke, make_record, fail_aws):
        record = make_record()
        fail_aws("dynamodb", "GetItem", code="AccessDeniedException")

        reply = invoke("get_execution", http_event("get_execution", path_parameters={"id": record.guid}))

        assert reply.body == INTERNAL
        for leak in ("Traceback", "AccessDenied", "GetItem", "botocore", ".py"):
            assert leak not in str(reply.body)


def test_a_start_that_cannot_reach_step_functions_is_a_503_and_leaves_nothing(post, fail_aws, written):
    before = written()
    fail_aws("stepfunctions", "StartExecution", exception=EndpointConnectionError(endpoint_url="https://states"))

    reply = post()

    assert_busy(reply)
    assert written() == before
