"""The scheduled reconciler, tested by killing each step of every write order in turn.

The embedded AWS has no EventBridge: status-change events never arrive unless a test sends
one, so every execution that ends here is exactly a "lost event" until it is reconciled.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

from execution_api.logic import cancel_execution as cancel_module
from execution_api.models.domain import ExecutionState
from tests.events import http_event
from tests.http_assertions import assert_error
from tests.records import ALICE
from toolkit.functions import function_module
from toolkit.waiting import wait_until


@pytest.fixture
def reconcile(settings_env, lambda_context):
    """Runs the scheduled function once, with no grace period: every record is old enough."""
    settings_env(RECONCILE_GRACE_SECONDS="0")

    def run() -> dict[str, int]:
        return function_module("reconcile").lambda_handler({}, lambda_context)

    return run


@pytest.fixture
def unconfirmed(repository):
    """The guids still in the sparse ByRunning index (what the reconciler looks at)."""

    def guids() -> set[str]:
        return {record.guid for record in repository.unconfirmed_before(datetime.now(UTC))}

    return guids


@pytest.fixture
def control(invoke):
    def call(function: str, guid: str, user: str = ALICE):
        return invoke(function, http_event(function, path_parameters={"id": guid}, user=user))

    return call


@pytest.fixture
def sfn(aws):
    return aws.own_client("stepfunctions")


@pytest.fixture
def ended(sfn):
    def wait(execution_arn: str) -> dict:
        return wait_until(
            lambda: (d := sfn.describe_execution(executionArn=execution_arn))["status"] != "RUNNING" and d
        )

    return wait


class TestRecordWrittenButExecutionNeverStarted:
    def test_a_record_without_execution_ends_as_error(self, reconcile, make_record, repository, unconfirmed):
        record = make_record(state=ExecutionState.INPROGRESS)
        assert unconfirmed() == {record.guid}

        assert reconcile() == {"ended_never_started": 1}

        ended = repository.get(record.guid)
        assert ended.state is ExecutionState.ERROR
        assert ended.error["error"] == "ExecutionNotStarted"
        assert ended.stop_time is not None
        assert unconfirmed() == set()

    def test_a_crash_between_the_record_write_and_start_execution(
        self, reconcile, invoke, fail_aws, repository, unconfirmed
    ):
        # StartExecution fails and so does the compensating delete: the record stays behind,
        # exactly as if the function had died between its two calls.
        start = fail_aws("stepfunctions", "StartExecution")
        undo = fail_aws("dynamodb", "DeleteItem", code="InternalServerError")

        reply = invoke(
            "start_execution", http_event("start_execution", body={"workflow": "batch", "input": {"items": ["a"]}})
        )

        assert_error(reply, 503)
        (guid,) = unconfirmed()
        assert [params["name"] for params in start.calls] == [guid]
        assert len(undo.calls) == 1
        assert repository.get(guid).state is ExecutionState.INPROGRESS
        assert reconcile() == {"ended_never_started": 1}
        record = repository.get(guid)
        assert (record.state, record.error["error"]) == (ExecutionState.ERROR, "ExecutionNotStarted")
        assert unconfirmed() == set()

    def test_a_record_younger_than_the_grace_period_is_left_alone(
        self, reconcile, settings_env, make_record, repository, sfn_calls
    ):
        record = make_record(state=ExecutionState.INPROGRESS, start_time=datetime.now(UTC))
        settings_env(RECONCILE_GRACE_SECONDS="300")

        assert reconcile() == {}
        assert repository.get(record.guid).state is ExecutionState.INPROGRESS
        assert sfn_calls == []


class TestLostStatusChangeEvent:
    def test_a_finished_execution_is_synced(self, reconcile, start_batch, repository, ended, unconfirmed):
        guid = start_batch(["a", "b"])
        described = ended(repository.get(guid).workflow_id)
        assert described["status"] == "SUCCEEDED"
        assert repository.get(guid).state is ExecutionState.INPROGRESS

        assert reconcile() == {"synced": 1}

        record = repository.get(guid)
        assert record.state is ExecutionState.FINISHED
        assert record.output == json.loads(described["output"])
        assert record.output["processed"] == 2
        assert unconfirmed() == set()

    def test_a_failed_execution_is_synced_with_its_error(self, reconcile, start_batch, repository, ended):
        guid = start_batch(["a", "fail"])
        ended(repository.get(guid).workflow_id)

        assert reconcile() == {"synced": 1}

        record = repository.get(guid)
        assert record.state is ExecutionState.ERROR
        assert record.error["error"] == "ItemFailed"

    def test_a_running_execution_is_left_running(self, reconcile, start_batch, repository, unconfirmed):
        guid = start_batch(["hang"])

        assert reconcile() == {"still_running": 1}
        assert repository.get(guid).state is ExecutionState.INPROGRESS
        assert unconfirmed() == {guid}


class TestTerminateWhoseStopExecutionFailed:
    def test_the_record_is_terminated_and_the_stop_is_resent(
        self, reconcile, control, start_batch, repository, fail_aws, sfn_calls
    ):
        guid = start_batch(["hang"])
        throttled = fail_aws("stepfunctions", "StopExecution")

        reply = control("terminate_execution", guid)

        assert_error(reply, 503)
        assert reply.headers["retry-after"]
        record = repository.get(guid)
        assert record.state is ExecutionState.TERMINATED
        assert [params["executionArn"] for params in throttled.calls] == [record.workflow_id]

        throttled.remove()
        sfn_calls.clear()
        assert reconcile() == {"terminate_resent": 1}
        stops = [params for operation, params in sfn_calls if operation == "StopExecution"]
        assert [params["executionArn"] for params in stops] == [record.workflow_id]
        # The record's state never changes again, whatever the reconciler does.
        assert repository.get(guid).state is ExecutionState.TERMINATED


class TestCancelWhoseSendTaskFailureFailed:
    def test_the_record_is_stopped_and_the_cancel_is_resent(
        self, reconcile, control, start_batch, repository, fail_aws, ended, unconfirmed
    ):
        guid = start_batch(["hang"])
        token = repository.waiting_task_token(guid)
        throttled = fail_aws("stepfunctions", "SendTaskFailure")

        reply = control("cancel_execution", guid)

        assert_error(reply, 503)
        assert reply.headers["retry-after"]
        record = repository.get(guid)
        assert record.state is ExecutionState.STOPPED
        assert [params["taskToken"] for params in throttled.calls] == [token]

        throttled.remove()
        assert reconcile() == {"cancel_resent": 1}
        described = ended(record.workflow_id)
        assert (described["status"], described["error"]) == ("FAILED", "ExecutionCancelled")

        assert reconcile() == {"synced": 1}
        assert repository.get(guid).state is ExecutionState.STOPPED
        assert unconfirmed() == set()


class TestCancelTheWorkflowDoesNotTake:
    def test_past_the_grace_period_the_execution_is_stopped_and_the_record_stays_stopped(
        self, reconcile, control, start_batch, repository, fail_aws, sfn_calls, sfn, ended, monkeypatch
    ):
        monkeypatch.setattr(cancel_module, "CANCEL_DELIVERY_SECONDS", 0.2)
        guid = start_batch(["hang"])
        token = repository.waiting_task_token(guid)
        refused = fail_aws("stepfunctions", "SendTaskFailure", code="InvalidToken")

        reply = control("cancel_execution", guid)

        assert reply.status == 200
        assert len(refused.calls) >= 2  # sent again while the record still held the token
        record = repository.get(guid)
        assert record.state is ExecutionState.STOPPED
        sfn_calls.clear()

        assert reconcile() == {"cancel_forced": 1}
        stops = [params["executionArn"] for operation, params in sfn_calls if operation == "StopExecution"]
        assert stops == [record.workflow_id]
        assert repository.get(guid).state is ExecutionState.STOPPED
        # Harness clean-up: the embedded Step Functions ends a stopped task-token wait only once
        # the token is answered.
        refused.remove()
        sfn.send_task_success(taskToken=token, output="{}")
        ended(record.workflow_id)


class TestIdempotence:
    def test_a_second_pass_changes_nothing_and_confirmed_records_are_not_looked_at(
        self, reconcile, start_batch, make_record, repository, ended, written, sfn_calls
    ):
        finished = start_batch(["a"])
        ended(repository.get(finished).workflow_id)
        never_started = make_record(state=ExecutionState.INPROGRESS)
        confirmed = make_record(state=ExecutionState.FINISHED)
        sfn_calls.clear()

        assert reconcile() == {"synced": 1, "ended_never_started": 1}
        described = {params["executionArn"] for operation, params in sfn_calls if operation == "DescribeExecution"}
        assert confirmed.workflow_id not in described
        assert described == {repository.get(finished).workflow_id, never_started.workflow_id}
        after_first = written()
        sfn_calls.clear()

        assert reconcile() == {}
        assert sfn_calls == []
        assert written() == after_first
        assert repository.get(confirmed.guid) == confirmed


def test_one_failing_record_does_not_stop_the_others(reconcile, make_record, repository, aws):
    first = make_record(state=ExecutionState.INPROGRESS, guid="00000000-0000-4000-8000-00000000000a")
    second = make_record(state=ExecutionState.INPROGRESS, guid="f0000000-0000-4000-8000-00000000000b")

    def throttle_the_first(params, **_):
        if params["executionArn"] == first.workflow_id:
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "injected"}}, "DescribeExecution")

    aws.client("stepfunctions").meta.events.register("before-parameter-build.sfn.DescribeExecution", throttle_the_first)

    outcomes = reconcile()

    assert repository.get(second.guid).state is ExecutionState.ERROR
    assert outcomes.get("failed") == 1
