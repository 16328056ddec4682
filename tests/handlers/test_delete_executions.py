"""DELETE /executions/{id} and DELETE /executions: only the caller's own ended records go."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from execution_api.models.domain import ExecutionState
from tests.events import http_event
from tests.http_assertions import assert_bad_request, assert_error
from tests.records import ADMIN, ADMIN_GROUP, ALICE, BOB

MISSING = "0b7a8c1e-9d4a-4e6f-8b7c-1a2b3c4d5e6f"


@pytest.fixture
def delete_one(invoke):
    def call(execution_id: str, user: str = ALICE, groups: list[str] | None = None):
        event = http_event("delete_execution", path_parameters={"id": execution_id}, user=user, groups=groups)
        return invoke("delete_execution", event)

    return call


@pytest.fixture
def delete_many(invoke):
    def call(body, user: str = ALICE):
        return invoke("delete_executions", http_event("delete_executions", body=body, user=user))

    return call


@pytest.mark.parametrize(
    "state", [state for state in ExecutionState if state is not ExecutionState.INPROGRESS], ids=str
)
def test_an_ended_execution_is_deleted(delete_one, make_record, repository, state):
    record = make_record(state=state)

    reply = delete_one(record.guid)

    assert reply.status == 200
    assert reply.body == {"raw": [], "affected": 1}
    assert repository.get(record.guid) is None


def test_the_execution_arn_names_it_too(delete_one, make_record, repository):
    record = make_record()

    assert delete_one(record.workflow_id).body == {"raw": [], "affected": 1}
    assert repository.get(record.guid) is None


def test_a_running_execution_is_a_conflict_and_stays(delete_one, make_record, repository):
    record = make_record(state=ExecutionState.INPROGRESS)

    assert_error(delete_one(record.guid), 409)
    assert repository.get(record.guid) == record


def test_another_users_execution_is_not_found_and_stays(delete_one, make_record, repository):
    record = make_record(owner=BOB)

    assert_error(delete_one(record.guid), 404)
    assert repository.get(record.guid) == record


def test_another_users_running_execution_is_not_found_either(delete_one, make_record):
    record = make_record(owner=BOB, state=ExecutionState.INPROGRESS)

    assert_error(delete_one(record.guid), 404)


def test_a_missing_execution_is_not_found(delete_one):
    assert_error(delete_one(MISSING), 404)


def test_an_admin_deletes_anyones_ended_execution(delete_one, make_record, repository):
    record = make_record(owner=BOB)

    assert delete_one(record.guid, user=ADMIN, groups=[ADMIN_GROUP]).status == 200
    assert repository.get(record.guid) is None


def test_an_admin_cannot_delete_a_running_one_either(delete_one, make_record, repository):
    record = make_record(owner=BOB, state=ExecutionState.INPROGRESS)

    assert_error(delete_one(record.guid, user=ADMIN, groups=[ADMIN_GROUP]), 409)
    assert repository.get(record.guid) == record


@pytest.mark.parametrize("bad_id", ["not-a-guid", "arn:aws:states:us-east-1:123456789012:execution:wf:nope"])
def test_an_id_that_is_neither_guid_nor_arn_is_a_400_naming_it(delete_one, make_record, written, bad_id):
    make_record()
    before = written()

    assert_bad_request(delete_one(bad_id), "id")
    assert written() == before


class TestBulk:
    def test_deletes_only_the_callers_own_ended_executions_and_counts_them(self, delete_many, make_record, repository):
        own_ended = [make_record(state=state) for state in (ExecutionState.FINISHED, ExecutionState.ERROR)]
        own_by_arn = make_record(state=ExecutionState.STOPPED)
        own_running = make_record(state=ExecutionState.INPROGRESS)
        bobs = make_record(owner=BOB)
        bobs_running = make_record(owner=BOB, state=ExecutionState.INPROGRESS)
        ids = [*(r.guid for r in own_ended), own_by_arn.workflow_id, own_running.guid, bobs.guid]
        ids += [bobs_running.guid, MISSING, own_ended[0].guid]

        reply = delete_many({"executionIds": ids})

        assert reply.status == 200
        assert reply.body == {"raw": [], "affected": 3}
        assert [repository.get(r.guid) for r in [*own_ended, own_by_arn]] == [None, None, None]
        assert repository.get(own_running.guid) == own_running
        assert repository.get(bobs.guid) == bobs
        assert repository.get(bobs_running.guid) == bobs_running

    def test_nothing_deletable_is_zero_affected(self, delete_many, make_record, repository):
        bobs = make_record(owner=BOB)

        reply = delete_many({"executionIds": [bobs.guid, MISSING]})

        assert reply.body == {"raw": [], "affected": 0}
        assert repository.get(bobs.guid) == bobs

    def test_takes_a_hundred_ids(self, delete_many, make_record, repository):
        records = [make_record() for _ in range(20)]
        missing = [f"0b7a8c1e-9d4a-4e6f-8b7c-{n:012x}" for n in range(80)]

        reply = delete_many({"executionIds": [record.guid for record in records] + missing})

        assert reply.body == {"raw": [], "affected": 20}
        assert all(repository.get(record.guid) is None for record in records)

    def test_an_admin_deletes_anyones_ended_executions(self, invoke, make_record, repository):
        bobs, alices = make_record(owner=BOB), make_record(owner=ALICE)
        event = http_event(
            "delete_executions", body={"executionIds": [bobs.guid, alices.guid]}, user=ADMIN, groups=[ADMIN_GROUP]
        )

        assert invoke("delete_executions", event).body["affected"] == 2

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"executionIds": []}, "executionIds"),
            ({"executionIds": [MISSING] * 101}, "executionIds"),
            ({"executionIds": "x"}, "executionIds"),
            ({"executionIds": [MISSING, 42]}, "executionIds[1]"),
            ({"executionIds": [MISSING, "not-a-guid"]}, "executionIds[1]"),
            ({"executionIds": [MISSING, MISSING, "arn:aws:states:us-east-1:1:execution:w:x"]}, "executionIds[2]"),
            ({"executionIds": [MISSING, ""]}, "executionIds[1]"),
            ({}, "executionIds"),
            ({"executionIds": [MISSING], "force": True}, "force"),
            ("[1, 2", "body"),
            (None, "body"),
        ],
        ids=[
            "empty",
            "101 ids",
            "not a list",
            "not a string",
            "not a guid",
            "not an execution ARN",
            "empty id",
            "missing",
            "unknown field",
            "not JSON",
            "no body",
        ],
    )
    def test_an_invalid_body_is_a_400_naming_the_field_and_deletes_nothing(
        self, delete_many, make_record, written, body, field
    ):
        make_record()
        before = written()

        assert_bad_request(delete_many(body), field)
        assert written() == before


def test_a_bulk_delete_that_meets_another_write_is_a_503_to_retry_and_deletes_nothing(
    delete_many, make_record, repository, fail_aws
):
    records = [make_record(), make_record()]
    conflict = ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
            "CancellationReasons": [{"Code": "None"}, {"Code": "TransactionConflict"}],
        },
        "TransactWriteItems",
    )
    fail_aws("dynamodb", "TransactWriteItems", exception=conflict, times=1)

    reply = delete_many({"executionIds": [record.guid for record in records]})

    assert_error(reply, 503)
    assert int(reply.headers["retry-after"]) > 0
    assert [repository.get(record.guid) for record in records] == records
    assert delete_many({"executionIds": [record.guid for record in records]}).body["affected"] == 2
