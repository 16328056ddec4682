"""PUT /executions/{id}: visibility, and ending a running execution (STOPPED / TERMINATED)."""

from __future__ import annotations

import pytest

from execution_api.models.domain import ExecutionState
from tests.events import http_event
from tests.http_assertions import assert_bad_request, assert_error
from tests.records import ADMIN, ADMIN_GROUP, ALICE, BOB
from toolkit.waiting import wait_until


@pytest.fixture
def put_as(invoke):
    def call(execution_id: str, body, user: str = ALICE, groups: list[str] | None = None):
        event = http_event(
            "update_execution", path_parameters={"id": execution_id}, body=body, user=user, groups=groups
        )
        return invoke("update_execution", event)

    return call


@pytest.fixture
def sfn_status(aws):
    def status(execution_arn: str) -> dict:
        return aws.own_client("stepfunctions").describe_execution(executionArn=execution_arn)

    return status


class TestVisibility:
    def test_is_public_is_set_and_returned(self, put_as, make_record, repository):
        record = make_record()

        reply = put_as(record.guid, {"isPublic": True})

        assert reply.status == 200
        assert reply.body["isPublic"] is True
        assert reply.body["guid"] == record.guid
        assert reply.body["updated_on"] > record.updated_on
        assert repository.get(record.guid).is_public is True

    def test_is_public_is_unset_again(self, put_as, make_record, repository):
        record = make_record(is_public=True)

        assert put_as(record.workflow_id, {"isPublic": False}).body["isPublic"] is False
        assert repository.get(record.guid).is_public is False

    def test_a_public_execution_is_readable_by_others(self, put_as, invoke, make_record):
        record = make_record()
        put_as(record.guid, {"isPublic": True})

        reply = invoke("get_execution", http_event("get_execution", path_parameters={"id": record.guid}, user=BOB))

        assert reply.status == 200
        assert reply.body["user"] == ALICE

    def test_another_users_execution_is_not_found_and_unchanged(self, put_as, make_record, repository):
        record = make_record(owner=BOB)

        assert_error(put_as(record.guid, {"isPublic": True}), 404)
        assert repository.get(record.guid) == record

    def test_a_public_execution_of_another_user_cannot_be_changed_by_others(self, put_as, make_record, repository):
        record = make_record(owner=BOB, is_public=True)

        assert_error(put_as(record.guid, {"isPublic": False}), 404)
        assert repository.get(record.guid).is_public is True

    def test_a_missing_execution_is_not_found(self, put_as):
        assert_error(put_as("0b7a8c1e-9d4a-4e6f-8b7c-1a2b3c4d5e6f", {"isPublic": True}), 404)

    def test_an_admin_changes_anyones(self, put_as, make_record, repository):
        record = make_record(owner=BOB)

        assert put_as(record.guid, {"isPublic": True}, user=ADMIN, groups=[ADMIN_GROUP]).status == 200
        assert repository.get(record.guid).is_public is True


class TestEnding:
    def test_terminated_ends_a_running_batch_execution(self, put_as, start_batch, repository, sfn_calls):
        guid = start_batch(["hang"])
        sfn_calls.clear()

        reply = put_as(guid, {"state": "TERMINATED"})

        assert reply.status == 200
        assert (reply.body["state"], reply.body["status"]) == ("TERMINATED", "terminated")
        assert reply.body["stop_time"] is not None
        stored = repository.get(guid)
        assert stored.state is ExecutionState.TERMINATED
        assert stored.stop_time is not None
        # Forceful: StopExecution (the embedded Step Functions leaves a task-token wait RUNNING).
        assert [(op, params["executionArn"]) for op, params in sfn_calls] == [("StopExecution", stored.workflow_id)]

    def test_stopped_cancels_gracefully_and_the_workflow_runs_its_cleanup(
        self, put_as, start_batch, repository, sfn_status
    ):
        guid = start_batch(["a", "hang"])

        reply = put_as(guid, {"state": "STOPPED"})

        assert reply.status == 200
        assert (reply.body["state"], reply.body["status"]) == ("STOPPED", "cancelled")
        ended = wait_until(lambda: (s := sfn_status(reply.body["workflow_id"]))["status"] != "RUNNING" and s)
        assert (ended["status"], ended.get("error")) == ("FAILED", "ExecutionCancelled")
        assert repository.get(guid).state is ExecutionState.STOPPED

    def test_state_and_visibility_change_together(self, put_as, start_batch, repository):
        guid = start_batch(["hang"])

        reply = put_as(guid, {"state": "TERMINATED", "isPublic": True})

        assert (reply.body["state"], reply.body["isPublic"]) == ("TERMINATED", True)

    @pytest.mark.parametrize("state", ["STOPPED", "TERMINATED"])
    @pytest.mark.parametrize("ended", [s for s in ExecutionState if s is not ExecutionState.INPROGRESS], ids=str)
    def test_an_ended_execution_is_a_conflict_and_unchanged(self, put_as, make_record, repository, state, ended):
        record = make_record(state=ended)

        assert_error(put_as(record.guid, {"state": state}), 409)
        assert repository.get(record.guid) == record

    @pytest.mark.parametrize("state", ["INPROGRESS", "FINISHED", "ERROR", "TIMEOUT"])
    def test_any_other_state_is_a_conflict_and_changes_nothing(self, put_as, make_record, repository, state):
        record = make_record(state=ExecutionState.INPROGRESS)

        assert_error(put_as(record.guid, {"state": state}), 409)
        assert repository.get(record.guid) == record

    def test_another_users_running_execution_is_not_found_and_keeps_running(
        self, put_as, start_batch, repository, sfn_status
    ):
        guid = start_batch(["hang"], user=BOB)
        before = repository.get(guid)

        assert_error(put_as(guid, {"state": "TERMINATED"}), 404)
        assert repository.get(guid) == before
        assert sfn_status(before.workflow_id)["status"] == "RUNNING"

    def test_an_admin_terminates_anyones(self, put_as, start_batch, repository):
        guid = start_batch(["hang"], user=BOB)

        reply = put_as(guid, {"state": "TERMINATED"}, user=ADMIN, groups=[ADMIN_GROUP])

        assert reply.status == 200
        assert reply.body["user"] == BOB
        assert repository.get(guid).state is ExecutionState.TERMINATED


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"state": "STOPPED", "colour": "red"}, "colour"),
        ({"guid": "0b7a8c1e-9d4a-4e6f-8b7c-1a2b3c4d5e6f"}, "guid"),
        ({}, "body"),
        (None, "body"),
        ("", "body"),
        ("{not json", "body"),
        ("[]", "body"),
        ({"state": "PAUSED"}, "state"),
        ({"state": 3}, "state"),
        ({"isPublic": []}, "isPublic"),
    ],
    ids=[
        "unknown field",
        "read-only field",
        "empty object",
        "no body",
        "empty body",
        "not JSON",
        "not an object",
        "unknown state",
        "state not a string",
        "isPublic not a boolean",
    ],
)
def test_an_invalid_body_is_a_400_naming_the_field_and_writes_nothing(put_as, make_record, written, body, field):
    record = make_record(state=ExecutionState.INPROGRESS)
    before = written()

    assert_bad_request(put_as(record.guid, body), field)
    assert written() == before


def test_an_id_that_is_neither_guid_nor_arn_is_a_400_naming_it(put_as, written):
    before = written()

    assert_bad_request(put_as("execution-1", {"isPublic": True}), "id")
    assert written() == before
