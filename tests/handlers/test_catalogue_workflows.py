"""Workflows of the catalogue (``config/workflows.toml``) through the functions, over real
executions: ``GET /workflows``, a cancel by ``StopExecution`` (``cancel_mode = "stop"``) and its
repair by the reconciler, and the retention the status sync gives an ended record."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest

from execution_api.dal.keys import record_key
from execution_api.models.domain import ExecutionState
from tests.events import http_event, load_event
from tests.http_assertions import assert_error
from tests.records import ALICE
from toolkit.functions import function_module
from toolkit.template import ROOT
from toolkit.waiting import wait_until

A_DAY = 86400


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


@pytest.fixture
def start_report(invoke):
    """Starts the ``report`` workflow (cancel mode ``stop``, retention 30 days); its Wait lasts ``delay`` s."""

    def start(delay: int) -> str:
        body = {"workflow": "report", "input": {"title": "Weekly", "period": "weekly", "delay_seconds": delay}}
        reply = invoke("start_execution", http_event("start_execution", body=body))
        assert reply.status == 201, reply
        return reply.body["run_id"]

    return start


@pytest.fixture
def sync(lambda_context):
    """Delivers the status-change event of an ended execution, as EventBridge would."""

    def deliver(described: dict) -> dict:
        event = load_event("sync_status")
        event["detail"].update(
            executionArn=described["executionArn"],
            stateMachineArn=described["stateMachineArn"],
            name=described["name"],
            status=described["status"],
            stopDate=int(described["stopDate"].timestamp() * 1000),
            output=described.get("output"),
            error=described.get("error"),
            cause=described.get("cause"),
        )
        return function_module("sync_status").lambda_handler(event, lambda_context)

    return deliver


@pytest.fixture
def item(aws):
    """The record as stored (the attributes the resource does not serve, e.g. the TTL)."""
    dynamodb = aws.own_client("dynamodb")

    def read(guid: str) -> dict:
        return dynamodb.get_item(TableName=aws.table_name, Key=record_key(guid))["Item"]

    return read


def _workflows(invoke, **claims) -> dict[str, dict]:
    reply = invoke("list_workflows", http_event("list_workflows", **claims))
    assert reply.status == 200, reply
    return {workflow["name"]: workflow for workflow in reply.body["workflows"]}


class TestListWorkflows:
    def test_lists_each_workflow_with_its_input_schema_and_how_it_is_cancelled(self, invoke, aws):
        workflows = _workflows(invoke)

        assert list(workflows) == ["default", "batch", "report"]
        report = workflows["report"]
        assert report == {
            "name": "report",
            "agentflowId": "wf-report",
            "description": "A report of a period: waits for its data, then summarizes it",
            "input_schema": report["input_schema"],
            "input_model": None,
            "cancel_mode": "stop",
            "workflow_type": {"name": "execution-api-dev-report"},
            "retention_days": 30,
            "tags": {"team": "analytics"},
        }
        assert report["input_schema"]["properties"]["period"]["enum"] == ["daily", "weekly", "monthly"]
        assert workflows["batch"]["input_schema"]["required"] == ["items"]
        assert workflows["default"]["input_model"] == "elevation"
        assert workflows["default"]["cancel_mode"] == "graceful"

    def test_a_workflow_disabled_in_the_stage_is_not_listed(self, invoke, settings_env):
        settings_env(STAGE="prod")

        assert list(_workflows(invoke)) == ["default", "report"]

    def test_only_the_workflows_starters_see_it(self, invoke, settings_env, tmp_path):
        config = tmp_path / "config"
        shutil.copytree(ROOT / "config", config)
        (config / "stages" / "dev").mkdir(parents=True, exist_ok=True)
        (config / "stages" / "dev" / "workflows.toml").write_text(
            '[workflows.report]\nstarters = { everyone = false, groups = ["analysts"], users = ["Bob@Example.com"] }\n'
        )
        settings_env(CONFIG_DIR=str(config))

        assert "report" not in _workflows(invoke, user=ALICE)
        assert "report" in _workflows(invoke, user=ALICE, groups=["analysts"])
        assert "report" in _workflows(invoke, user="bob@example.com")


class TestCancelByStopExecution:
    def test_the_record_ends_stopped_and_says_how_and_the_execution_is_stopped(
        self, invoke, start_report, repository, ended, sfn_calls
    ):
        guid = start_report(600)
        sfn_calls.clear()

        reply = invoke("cancel_execution", http_event("cancel_execution", path_parameters={"id": guid}))

        assert reply.status == 200, reply
        record = repository.get(guid)
        assert (record.state, record.cancel_mode) == (ExecutionState.STOPPED, "stop")
        assert [(operation, params["executionArn"], params["error"]) for operation, params in sfn_calls] == [
            ("StopExecution", record.workflow_id, "ExecutionCancelled")
        ]
        assert ended(record.workflow_id)["status"] == "ABORTED"
        got = invoke("get_execution", http_event("get_execution", path_parameters={"id": guid}))
        assert (got.body["status"], got.body["cancel_mode"]) == ("cancelled", "stop")

    def test_a_stop_that_failed_is_sent_again_by_the_reconciler(
        self, invoke, start_report, repository, ended, fail_aws, settings_env, lambda_context
    ):
        guid = start_report(600)
        throttled = fail_aws("stepfunctions", "StopExecution")

        reply = invoke("cancel_execution", http_event("cancel_execution", path_parameters={"id": guid}))

        assert_error(reply, 503)
        record = repository.get(guid)
        assert record.state is ExecutionState.STOPPED
        throttled.remove()
        settings_env(RECONCILE_GRACE_SECONDS="0")
        assert function_module("reconcile").lambda_handler({}, lambda_context) == {"cancel_resent": 1}
        assert ended(record.workflow_id)["status"] == "ABORTED"
        assert repository.get(guid).state is ExecutionState.STOPPED


class TestRetention:
    def test_a_finished_record_expires_its_retention_after_its_end(
        self, start_report, repository, ended, sync, item, invoke
    ):
        guid = start_report(0)
        described = ended(repository.get(guid).workflow_id)

        assert sync(described) == {"updated": True}

        record = repository.get(guid)
        assert record.state is ExecutionState.FINISHED
        expected = record.stop_time + timedelta(days=30)
        assert int(item(guid)["expires_at"]["N"]) == int(expected.timestamp())
        assert "running_shard" not in item(guid)

    def test_a_record_cancelled_first_expires_once_its_end_is_confirmed(
        self, invoke, start_report, repository, ended, sync, item
    ):
        guid = start_report(600)
        invoke("cancel_execution", http_event("cancel_execution", path_parameters={"id": guid}))
        described = ended(repository.get(guid).workflow_id)
        assert "expires_at" not in item(guid)

        assert sync(described) == {"updated": False}

        record = repository.get(guid)
        assert record.state is ExecutionState.STOPPED
        assert int(item(guid)["expires_at"]["N"]) == int(record.stop_time.timestamp()) + 30 * A_DAY
        assert "running_shard" not in item(guid)

    def test_a_workflow_without_retention_keeps_its_records(self, start_batch, repository, ended, sync, item):
        guid = start_batch(["a"])
        described = ended(repository.get(guid).workflow_id)

        sync(described)

        assert repository.get(guid).state is ExecutionState.FINISHED
        assert "expires_at" not in item(guid)
