"""GET /execution/{id}, cancel, terminate, and the status-change sync, over real executions."""

from __future__ import annotations

import json

import pytest

from execution_api.dal.keys import record_key
from execution_api.logic.sync_status import terminal_state
from execution_api.models.domain import ExecutionState, utc_now
from tests.events import http_event, load_event, owner_of
from tests.http_assertions import assert_bad_request, assert_error
from tests.records import ALICE, BOB, PLACEHOLDER_GUID
from toolkit.functions import function_module
from toolkit.waiting import wait_until


@pytest.fixture
def control(invoke):
    def call(function: str, execution_id: str, user: str = ALICE, method: str | None = None):
        event = http_event(function, path_parameters={"id": execution_id}, user=user)
        if method:
            path = event["routeKey"].split(" ", 1)[1]
            event["routeKey"] = event["requestContext"]["routeKey"] = f"{method} {path}"
            event["requestContext"]["http"]["method"] = method
        return invoke(function, event)

    return call


@pytest.fixture
def sfn_ended(aws):
    sfn = aws.own_client("stepfunctions")

    def ended(execution_arn: str) -> dict:
        return wait_until(
            lambda: (d := sfn.describe_execution(executionArn=execution_arn))["status"] != "RUNNING" and d
        )

    return ended


class TestDescribe:
    def test_is_the_resource_plus_its_history(self, control, start_batch, repository, sfn_ended):
        guid = start_batch(["a"])
        sfn_ended(repository.get(guid).workflow_id)

        reply = control("describe_execution", guid)

        assert reply.status == 200
        assert reply.body["guid"] == guid
        events = [event["event_type"] for event in reply.body["history"]]
        assert events[0] == "WorkflowExecutionStarted"
        assert events[-1] == "WorkflowExecutionCompleted"
        assert {"StateEntered", "StateExited"} <= set(events)
        assert all(event["timestamp"].endswith("Z") for event in reply.body["history"])

    def test_another_users_execution_is_not_found(self, control, start_batch):
        guid = start_batch(["hang"], user=BOB)

        assert_error(control("describe_execution", guid), 404)


class TestCancel:
    @pytest.mark.parametrize("method", ["POST", "GET"])
    def test_a_running_execution_ends_stopped_after_its_cleanup(
        self, control, start_batch, repository, sfn_ended, method
    ):
        guid = start_batch(["hang"])

        reply = control("cancel_execution", guid, method=method)

        assert reply.status == 200
        assert reply.body == {"status": "ok", "message": "Workflow cancellation signal sent"}
        record = repository.get(guid)
        assert record.state is ExecutionState.STOPPED
        ended = sfn_ended(record.workflow_id)
        assert (ended["status"], ended["error"]) == ("FAILED", "ExecutionCancelled")

    def test_a_wait_that_does_not_take_the_cancel_yet_gets_it_again(
        self, control, start_batch, repository, sfn_ended, fail_aws
    ):
        guid = start_batch(["hang"])
        token = repository.waiting_task_token(guid)
        not_yet = fail_aws("stepfunctions", "SendTaskFailure", code="InvalidToken", times=2)

        reply = control("cancel_execution", guid)

        assert reply.status == 200
        assert [params["taskToken"] for params in not_yet.calls] == [token] * 3
        ended = sfn_ended(repository.get(guid).workflow_id)
        assert (ended["status"], ended["error"]) == ("FAILED", "ExecutionCancelled")

    def test_a_refused_token_the_workflow_has_moved_on_from_is_not_sent_again(
        self, control, start_batch, repository, fail_aws, aws, sfn_ended
    ):
        guid = start_batch(["hang"])
        token = repository.waiting_task_token(guid)
        gone = fail_aws("stepfunctions", "SendTaskFailure", code="TaskTimedOut")
        # What the workflow's Interrupted step does once it has seen the STOPPED record.
        own_dynamodb = aws.own_client("dynamodb")

        def workflow_moves_on(**_: object) -> None:
            own_dynamodb.update_item(
                TableName=aws.table_name, Key=record_key(guid), UpdateExpression="REMOVE wait_token, wait_step"
            )

        aws.client("dynamodb").meta.events.register("after-call.dynamodb.UpdateItem", workflow_moves_on)
        try:
            reply = control("cancel_execution", guid)
        finally:
            aws.client("dynamodb").meta.events.unregister("after-call.dynamodb.UpdateItem", workflow_moves_on)

        assert reply.status == 200
        assert len(gone.calls) == 1
        assert repository.get(guid).state is ExecutionState.STOPPED
        # Harness clean-up: the simulated workflow never got the cancel; give it.
        gone.remove()
        aws.own_client("stepfunctions").send_task_failure(taskToken=token, error="ExecutionCancelled")
        sfn_ended(repository.get(guid).workflow_id)

    def test_an_ended_execution_is_a_conflict(self, control, make_record, repository):
        record = make_record(state=ExecutionState.FINISHED)

        assert_error(control("cancel_execution", record.guid), 409)
        assert repository.get(record.guid) == record

    def test_another_users_execution_is_not_found_and_keeps_running(self, control, start_batch, repository):
        guid = start_batch(["hang"], user=BOB)

        assert_error(control("cancel_execution", guid), 404)
        assert repository.get(guid).state is ExecutionState.INPROGRESS


class TestTerminate:
    def test_a_running_execution_is_stopped_without_cleanup(self, control, start_batch, repository, sfn_calls):
        guid = start_batch(["hang"])
        sfn_calls.clear()

        reply = control("terminate_execution", guid)

        assert reply.status == 200
        assert reply.body == {"status": "ok", "message": "Workflow termination signal sent"}
        record = repository.get(guid)
        assert record.state is ExecutionState.TERMINATED
        assert [(op, params["executionArn"]) for op, params in sfn_calls] == [("StopExecution", record.workflow_id)]

    def test_an_ended_execution_is_a_conflict(self, control, make_record, sfn_calls):
        record = make_record(state=ExecutionState.ERROR)

        assert_error(control("terminate_execution", record.guid), 409)
        assert sfn_calls == []


class TestEndClaim:
    """A workflow claims its end (``ending`` on its still-INPROGRESS record) before it ends, so
    a cancel or terminate either lands first and the workflow ends accordingly, or lands after
    and gets 409: a record never says cancelled/terminated for an execution that ended on its own."""

    @pytest.fixture
    def answer(self, aws, repository):
        sfn = aws.own_client("stepfunctions")

        def send(guid: str, output: dict) -> None:
            sfn.send_task_success(taskToken=repository.waiting_task_token(guid), output=json.dumps(output))

        return send

    @staticmethod
    def end_record_only(repository, guid: str, state: ExecutionState) -> None:
        """What a cancel or terminate does first; its call to Step Functions has not arrived yet."""
        repository.end_on_request(guid, owner_of(ALICE), state, utc_now())

    def test_after_the_claim_cancel_and_terminate_are_conflicts(self, aws, control, start_batch, repository):
        guid = start_batch(["hang"])
        aws.own_client("dynamodb").update_item(
            TableName=aws.table_name,
            Key=record_key(guid),
            UpdateExpression="SET ending = :o",
            ExpressionAttributeValues={":o": {"S": "SUCCEEDED"}},
        )

        for function in ("cancel_execution", "terminate_execution"):
            reply = control(function, guid)
            assert_error(reply, 409)
            assert "finishing" in reply.body["message"]
        assert repository.get(guid).state is ExecutionState.INPROGRESS

    @pytest.mark.parametrize(
        ("ended_as", "error", "last_event"),
        [
            (ExecutionState.TERMINATED, "ExecutionTerminated", "WorkflowExecutionTerminated"),
            (ExecutionState.STOPPED, "ExecutionCancelled", "WorkflowExecutionCanceled"),
        ],
    )
    def test_an_end_on_request_seen_at_the_claim_ends_the_execution_the_same_way(
        self, control, start_batch, repository, sfn_ended, answer, ended_as, error, last_event
    ):
        guid = start_batch(["hang"])
        self.end_record_only(repository, guid, ended_as)

        answer(guid, {"done": True})

        ended = sfn_ended(repository.get(guid).workflow_id)
        assert (ended["status"], ended["error"]) == ("FAILED", error)
        assert terminal_state(ended["status"], ended["error"]) is ended_as
        assert control("describe_execution", guid).body["history"][-1]["event_type"] == last_event

    def test_a_denial_after_a_cancel_ends_the_elevation_as_cancelled(self, invoke, repository, sfn_ended, answer):
        body = {"workflow": "default", "input": {"role": "developer", "provider": "aws", "reason": "r"}}
        reply = invoke("start_execution", http_event("start_execution", body=body, user=ALICE))
        assert reply.status == 201, reply
        guid = reply.body["run_id"]
        wait_until(lambda: repository.waiting_task_token(guid))
        self.end_record_only(repository, guid, ExecutionState.STOPPED)

        answer(guid, {"approved": False, "by": [BOB]})

        ended = sfn_ended(repository.get(guid).workflow_id)
        assert (ended["status"], ended["error"]) == ("FAILED", "ExecutionCancelled")

    def test_a_batch_whose_item_failed_ends_with_that_items_error(self, start_batch, repository, sfn_ended):
        guid = start_batch(["a", "fail"])

        ended = sfn_ended(repository.get(guid).workflow_id)

        assert (ended["status"], ended["error"]) == ("FAILED", "ItemFailed")
        assert "cannot be processed" in ended["cause"]


class TestStatusSync:
    @pytest.fixture
    def sync(self, aws, lambda_context):
        def call(**detail):
            event = load_event("sync_status")
            event["detail"].update(detail)
            return function_module("sync_status").lambda_handler(event, lambda_context)

        return call

    def test_the_sample_event_finishes_the_running_record(self, sync, make_record, repository):
        make_record(guid=PLACEHOLDER_GUID, state=ExecutionState.INPROGRESS)

        assert sync() == {"updated": True}

        record = repository.get(PLACEHOLDER_GUID)
        assert record.state is ExecutionState.FINISHED
        assert record.output == json.loads(load_event("sync_status")["detail"]["output"])
        assert record.stop_time.isoformat() == "2024-01-15T10:35:00+00:00"

    def test_a_replayed_or_late_event_changes_nothing(self, sync, make_record, repository):
        make_record(guid=PLACEHOLDER_GUID, state=ExecutionState.INPROGRESS)
        sync(status="FAILED", error="ExecutionCancelled", cause="cancelled", output=None)
        stopped = repository.get(PLACEHOLDER_GUID)

        assert sync() == {"updated": False}
        assert repository.get(PLACEHOLDER_GUID).state is stopped.state is ExecutionState.STOPPED

    def test_an_event_of_another_execution_with_the_same_name_is_ignored(self, sync, make_record, repository):
        record = make_record(guid=PLACEHOLDER_GUID, state=ExecutionState.INPROGRESS)
        other = record.workflow_id.replace("execution-api-dev-batch", "someone-elses-machine")

        assert sync(executionArn=other) == {"updated": False}
        assert repository.get(PLACEHOLDER_GUID).state is ExecutionState.INPROGRESS


@pytest.mark.parametrize("function", ["describe_execution", "cancel_execution", "terminate_execution"])
@pytest.mark.parametrize("bad_id", ["not-a-guid", "arn:aws:states:us-east-1:123456789012:execution:wf:run-1"])
def test_an_id_that_is_neither_guid_nor_arn_is_a_400_naming_it(control, written, function, bad_id):
    before = written()

    assert_bad_request(control(function, bad_id), "id")
    assert written() == before
