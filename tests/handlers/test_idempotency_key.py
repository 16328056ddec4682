"""POST /execution with an ``Idempotency-Key``: counted in Step Functions executions and records."""

from __future__ import annotations

import pytest
from botocore.exceptions import ReadTimeoutError

from tests.events import http_event, owner_of
from tests.http_assertions import assert_error
from tests.records import ALICE, BOB
from toolkit.template import load_template, resources_of_type

REQUEST = {"workflow": "batch", "input": {"items": ["a"]}}


@pytest.fixture
def post(invoke):
    def call(body=REQUEST, user: str = ALICE, key: str | None = None):
        headers = {"Idempotency-Key": key} if key is not None else None
        return invoke("start_execution", http_event("start_execution", body=body, user=user, headers=headers))

    return call


@pytest.fixture
def started(sfn_calls):
    """The names of the executions the code asked Step Functions to start."""
    return lambda: [params["name"] for operation, params in sfn_calls if operation == "StartExecution"]


@pytest.fixture
def records(aws):
    def items() -> list[dict]:
        dynamodb = aws.own_client("dynamodb")
        return [item for item in dynamodb.scan(TableName=aws.table_name)["Items"] if item["sk"]["S"] == "RECORD"]

    return items


@pytest.fixture
def idempotency_items(aws):
    return lambda: aws.own_client("dynamodb").scan(TableName=aws.tables["IdempotencyTable"])["Items"]


def test_the_stack_has_every_table_of_the_template_including_the_idempotency_table(aws):
    assert set(aws.tables) == set(resources_of_type(load_template(), "AWS::DynamoDB::Table"))
    assert aws.environment["IDEMPOTENCY_TABLE"] == aws.tables["IdempotencyTable"]
    described = aws.own_client("dynamodb").describe_table(TableName=aws.tables["IdempotencyTable"])["Table"]
    assert [key["AttributeName"] for key in described["KeySchema"]] == ["id"]


def test_same_key_and_body_return_the_first_result_and_start_one_execution(
    post, started, records, written, idempotency_items
):
    before = written()["executions"]

    first = post(key="order-1")
    retry = post(key="order-1")
    again = post(key="order-1")

    assert first.status == retry.status == again.status == 201
    assert first.body == retry.body == again.body
    assert started() == [first.body["run_id"]]
    assert len(records()) == 1
    assert len(written()["executions"]) == len(before) + 1
    assert len(idempotency_items()) == 1


def test_same_key_with_another_body_is_a_409_naming_the_header(post, started, records):
    first = post(key="order-2")

    reply = post({"workflow": "batch", "input": {"items": ["b"]}}, key="order-2")

    body = assert_error(reply, 409)
    assert "Idempotency-Key" in body["message"]
    assert started() == [first.body["run_id"]]
    assert len(records()) == 1


def test_two_users_with_the_same_key_get_two_executions(post, started, records, idempotency_items):
    alices = post(key="shared")
    bobs = post(user=BOB, key="shared")

    assert (alices.status, bobs.status) == (201, 201)
    assert alices.body["workflow_id"] != bobs.body["workflow_id"]
    assert sorted(started()) == sorted([alices.body["run_id"], bobs.body["run_id"]])
    assert sorted(item["owner"]["S"] for item in records()) == sorted([owner_of(ALICE), owner_of(BOB)])
    assert len(idempotency_items()) == 2


def test_the_key_is_optional_and_without_it_nothing_is_remembered(post, started, idempotency_items):
    first, second = post(), post()

    assert (first.status, second.status) == (201, 201)
    assert first.body["run_id"] != second.body["run_id"]
    assert sorted(started()) == sorted([first.body["run_id"], second.body["run_id"]])
    assert idempotency_items() == []


def test_a_failed_first_attempt_does_not_block_the_key(post, started, records, fail_aws):
    throttled = fail_aws("stepfunctions", "StartExecution")
    assert_error(post(key="order-3"), 503)
    throttled.remove()

    retry = post(key="order-3")

    assert retry.status == 201
    assert retry.body["run_id"] in started()
    assert [item["guid"]["S"] for item in records()] == [retry.body["run_id"]]
    assert post(key="order-3").body == retry.body


@pytest.mark.parametrize("key", ["", "has space", "x" * 129])
def test_an_invalid_key_is_a_400_naming_the_header(post, started, key):
    body = assert_error(post(key=key), 400)

    assert "idempotency" in body["message"].lower()
    assert started() == []


@pytest.fixture
def answer_lost(aws):
    """Step Functions starts the execution, and its answer is lost (a read time-out), once."""
    sfn = aws.client("stepfunctions")
    lost: list[str] = []

    def time_out(http_response, parsed, model, **_):
        if not lost:
            lost.append(parsed["executionArn"])
            raise ReadTimeoutError(endpoint_url="https://states.us-east-1.amazonaws.com")

    sfn.meta.events.register("after-call.sfn.StartExecution", time_out)
    yield lost
    sfn.meta.events.unregister("after-call.sfn.StartExecution", time_out)


def test_a_retry_after_an_unanswered_start_takes_up_the_execution_it_started(post, records, started, answer_lost):
    first = post(key="order-4")
    assert_error(first, 503)
    assert len(answer_lost) == 1  # it did start

    retry = post(key="order-4")

    assert retry.status == 201, retry
    assert retry.body["workflow_id"] == answer_lost[0]
    assert [item["guid"]["S"] for item in records()] == [retry.body["run_id"]]
    assert set(started()) == {retry.body["run_id"]}  # asked twice, under one name: one execution
    assert post(key="order-4").body == retry.body


def test_a_retry_after_an_unanswered_start_with_another_body_is_a_409(post, records, answer_lost):
    assert_error(post(key="order-5"), 503)

    reply = post({"workflow": "batch", "input": {"items": ["other"]}}, key="order-5")

    assert "Idempotency-Key" in assert_error(reply, 409)["message"]
    assert len(records()) == 1


def test_a_key_reused_after_its_record_was_deleted_and_forgotten_is_a_409(post, records, invoke, aws, fail_aws):
    first = post(key="order-6")
    guid = first.body["run_id"]
    terminated = invoke("terminate_execution", http_event("terminate_execution", path_parameters={"id": guid}))
    assert terminated.status == 200, terminated
    deleted = invoke("delete_execution", http_event("delete_execution", path_parameters={"id": guid}, user=ALICE))
    assert deleted.status == 200, deleted
    dynamodb, table = aws.own_client("dynamodb"), aws.tables["IdempotencyTable"]
    for item in dynamodb.scan(TableName=table)["Items"]:  # what the table's TTL does after 24 h
        dynamodb.delete_item(TableName=table, Key={"id": item["id"]})

    # Step Functions refuses the name of a closed execution; the embedded moto was seen not to.
    refused = fail_aws("stepfunctions", "StartExecution", "ExecutionAlreadyExists", times=1)
    reply = post(key="order-6")

    assert "Idempotency-Key" in assert_error(reply, 409)["message"]
    assert [call["name"] for call in refused.calls] == [guid]  # the key names the same execution
    assert records() == []
