"""POST /execution: a record, then a real Step Functions execution named by its guid."""

from __future__ import annotations

import json
import shutil

import pytest

from execution_api.dal.keys import record_key
from execution_api.models.domain import ExecutionState
from tests.events import http_event, owner_of
from tests.http_assertions import assert_bad_request, assert_error
from tests.records import ALICE, BOB
from toolkit.template import ROOT
from toolkit.waiting import wait_until


@pytest.fixture
def post(invoke):
    def call(body, user: str = ALICE, headers: dict[str, str] | None = None, groups: list[str] | None = None):
        event = http_event("start_execution", body=body, user=user, headers=headers, groups=groups)
        return invoke("start_execution", event)

    return call


@pytest.fixture
def sfn(aws):
    return aws.own_client("stepfunctions")


def finished(sfn, execution_arn: str) -> dict:
    """The execution once it has ended (these inputs end within moments)."""
    return wait_until(lambda: (d := sfn.describe_execution(executionArn=execution_arn))["status"] != "RUNNING" and d)


def test_starts_a_batch_execution_named_by_the_guid(post, sfn, aws, repository):
    reply = post({"workflow": "batch", "input": {"items": ["a", "b"]}, "sessionId": "s-7"})

    assert reply.status == 201
    assert set(reply.body) == {"workflow_id", "run_id", "status"}
    guid, arn = reply.body["run_id"], reply.body["workflow_id"]
    assert reply.body["status"] == "running"
    described = sfn.describe_execution(executionArn=arn)
    assert described["name"] == guid
    assert described["stateMachineArn"] == aws.workflow_arns["batch"]
    assert json.loads(described["input"]) == {
        "guid": guid,
        "record": record_key(guid),
        "requester": owner_of(ALICE),
        "items": ["a", "b"],
        "step_seconds": 0,
        "timeout_seconds": 3600,
    }
    record = repository.get(guid)
    assert (record.owner, record.owner_display, record.workflow, record.agentflow_id) == (
        owner_of(ALICE),
        ALICE,
        "batch",
        "wf-batch-job",
    )
    assert (record.state, record.session_id, record.workflow_id) == (ExecutionState.INPROGRESS, "s-7", arn)
    assert record.input == {"items": ["a", "b"]}
    assert finished(sfn, arn)["status"] == "SUCCEEDED"


def test_the_started_execution_is_listed_and_readable(post, invoke):
    started = post({"workflow": "batch", "input": {"items": ["hang"]}}).body

    listed = invoke("list_executions", http_event("list_executions")).body
    got = invoke("get_execution", http_event("get_execution", path_parameters={"id": started["workflow_id"]})).body

    assert [execution["guid"] for execution in listed["executions"]] == [started["run_id"]]
    assert (got["guid"], got["state"], got["status"], got["stop_time"]) == (
        started["run_id"],
        "INPROGRESS",
        "running",
        None,
    )


def test_the_sample_event_starts_an_execution(invoke, sfn):
    reply = invoke("start_execution", http_event("start_execution"))

    assert reply.status == 201
    assert finished(sfn, reply.body["workflow_id"])["status"] == "SUCCEEDED"


def test_an_unknown_workflow_is_not_found_and_nothing_is_written(post, written):
    before = written()

    body = assert_error(post({"workflow": "nope", "input": {}}), 404)

    assert "workflow" in body["message"]
    assert written() == before


def test_a_workflow_disabled_in_the_stage_is_a_conflict_and_nothing_is_written(post, written, settings_env):
    settings_env(STAGE="prod")  # config/stages/prod/workflows.toml disables batch
    before = written()

    body = assert_error(post({"workflow": "batch", "input": {"items": ["a"]}}), 409)

    assert body["message"] == "workflow: 'batch' is disabled in this deployment"
    assert written() == before


def test_a_catalogue_whose_state_machine_the_stack_does_not_know_does_not_load(post, written, aws, settings_env):
    settings_env(STATE_MACHINES=json.dumps({"default": aws.workflow_arns["default"]}))
    before = written()

    body = assert_error(post({"workflow": "default", "input": {}}), 500)

    assert body["message"] == "Internal server error"
    assert written() == before


@pytest.fixture
def ops_only_config(tmp_path):
    """The repository's config/, with ``report`` startable by the ``ops`` group only."""
    directory = tmp_path / "config"
    shutil.copytree(ROOT / "config", directory)
    (directory / "stages" / "dev").mkdir(parents=True, exist_ok=True)
    (directory / "stages" / "dev" / "workflows.toml").write_text(
        '[workflows.report]\nstarters = { everyone = false, groups = ["ops"] }\n'
    )
    return directory


def test_only_the_workflows_starters_may_start_it(post, written, settings_env, ops_only_config):
    settings_env(CONFIG_DIR=str(ops_only_config))
    request = {"workflow": "report", "input": {"title": "t", "period": "daily", "delay_seconds": 0}}
    before = written()

    body = assert_error(post(request), 403)
    refused = written()
    started = post(request, groups=["ops"])

    assert body["message"] == "workflow: you may not start 'report'"
    assert refused == before
    assert started.status == 201, started


def test_a_workflow_of_the_catalogue_starts_with_its_schemas_defaults_and_its_record_keeps_its_settings(
    post, sfn, aws, repository
):
    reply = post({"workflow": "report", "input": {"title": "Sales", "period": "weekly", "delay_seconds": 0}})

    assert reply.status == 201, reply
    guid, arn = reply.body["run_id"], reply.body["workflow_id"]
    described = sfn.describe_execution(executionArn=arn)
    assert described["stateMachineArn"] == aws.workflow_arns["report"]
    assert json.loads(described["input"]) == {
        "title": "Sales",
        "period": "weekly",
        "delay_seconds": 0,
        "format": "json",
        "requester": owner_of(ALICE),
        "guid": guid,
        "record": record_key(guid),
    }
    record = repository.get(guid)
    assert (record.workflow, record.agentflow_id, record.state_machine_name) == (
        "report",
        "wf-report",
        "execution-api-dev-report",
    )
    assert (record.cancel_mode, record.tags, record.retention_days) == ("stop", {"team": "analytics"}, 30)
    assert record.input == {"title": "Sales", "period": "weekly", "delay_seconds": 0}
    finished_execution = finished(sfn, arn)
    assert finished_execution["status"] == "SUCCEEDED"
    assert json.loads(finished_execution["output"]) == {
        "title": "Sales",
        "format": "json",
        "period": "weekly",
        "days": 7,
    }


def test_when_step_functions_refuses_the_start_the_record_is_removed(post, written, aws, settings_env):
    missing = aws.workflow_arns["batch"].replace("execution-api-dev-batch", "execution-api-dev-gone")
    settings_env(STATE_MACHINES=json.dumps({**aws.workflow_arns, "batch": missing}))
    before = written()

    reply = post({"workflow": "batch", "input": {"items": ["a"]}})

    body = assert_error(reply, 500)
    assert body["message"] == "Internal server error"
    assert written() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"workflow": "batch", "input": {}}, "input.items"),
        ({"workflow": "batch", "input": {"items": []}}, "input.items"),
        ({"workflow": "batch", "input": {"items": "a"}}, "input.items"),
        ({"workflow": "batch", "input": {"items": [""]}}, "input.items.0"),
        ({"workflow": "batch", "input": {"items": ["a"], "step_seconds": -1}}, "input.step_seconds"),
        ({"workflow": "batch", "input": {"items": ["a"], "timeout_seconds": "soon"}}, "input.timeout_seconds"),
        ({"workflow": "batch", "input": {"items": ["a"], "colour": "red"}}, "input.colour"),
        ({"workflow": "batch", "input": {"items": ["a"], "requester": "someone"}}, "input.requester"),
        ({"workflow": "report", "input": {"title": "t", "period": "daily", "record": {}}}, "input.record"),
        ({"workflow": "report", "input": {"title": "t", "period": "yearly"}}, "input.period"),
        ({"workflow": "report", "input": {"title": "t"}}, "input.period"),
        ({"workflow": "default", "input": {"provider": "aws", "reason": "on call"}}, "input.role"),
        ({"workflow": "default", "input": {"role": "a", "provider": "gcp", "reason": "x"}}, "input.provider"),
        (
            {
                "workflow": "default",
                "input": {"role": "developer", "provider": "aws", "reason": "x", "duration": "PT5H"},
            },
            "input.duration",
        ),
        ({"workflow": "default", "input": {"role": "a", "provider": "aws", "reason": "x"}}, "input.role"),
        ({"workflow": "default", "input": {"role": "developer", "provider": "aws"}}, "input.reason"),
        (
            {
                "workflow": "default",
                "input": {"role": "developer", "provider": "aws", "reason": "x", "approvers": ["b@x"]},
            },
            "input.approvers",
        ),
        ({"workflow": "batch", "input": ["a"]}, "input"),
        ({"input": {"items": ["a"]}}, "workflow"),
        ({"workflow": "", "input": {}}, "workflow"),
        ({"workflow": "../batch", "input": {}}, "workflow"),
        ({"workflow": "batch", "input": {"items": ["a"]}, "sessionId": ""}, "sessionId"),
        ({"workflow": "batch", "input": {"items": ["a"]}, "priority": 1}, "priority"),
        ("workflow=batch", "body"),
        (None, "body"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_an_invalid_request_is_a_400_naming_the_field_and_nothing_is_written(post, written, body, field):
    before = written()

    assert_bad_request(post(body), field)
    assert written() == before


class TestIdempotencyKey:
    def test_a_retry_with_the_same_key_returns_the_first_result_and_starts_nothing(self, post, written):
        request = {"workflow": "batch", "input": {"items": ["hang"]}}
        first = post(request, headers={"Idempotency-Key": "order-42"})
        after_first = written()

        retry = post(request, headers={"Idempotency-Key": "order-42"})

        assert (first.status, retry.status) == (201, 201)
        assert retry.body == first.body
        assert written()["executions"] == after_first["executions"]

    def test_the_same_key_with_another_body_is_a_conflict(self, post, written):
        post({"workflow": "batch", "input": {"items": ["hang"]}}, headers={"Idempotency-Key": "order-42"})
        before = written()

        reply = post({"workflow": "batch", "input": {"items": ["other"]}}, headers={"Idempotency-Key": "order-42"})

        assert_error(reply, 409)
        assert written()["executions"] == before["executions"]

    def test_keys_are_per_caller(self, post):
        request = {"workflow": "batch", "input": {"items": ["hang"]}}

        alices = post(request, headers={"Idempotency-Key": "k"})
        bobs = post(request, user=BOB, headers={"Idempotency-Key": "k"})

        assert alices.body["run_id"] != bobs.body["run_id"]

    def test_without_a_key_every_request_starts_an_execution(self, post):
        request = {"workflow": "batch", "input": {"items": ["hang"]}}

        assert post(request).body["run_id"] != post(request).body["run_id"]
