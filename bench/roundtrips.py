"""Section 1: AWS API round trips per request, per endpoint (in-process, moto)."""

from __future__ import annotations

import contextlib
import math
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from bench.common import CallRecorder, Stack, call_handler, embedded_aws, http_event, identity_of, invoke, print_table
from execution_api.dal.executions import ExecutionRepository
from execution_api.models.domain import Execution, ExecutionState
from execution_api.models.ids import execution_arn, state_machine_name
from toolkit.waiting import wait_until

OWNER = "alice@example.com"
ADMIN = "root@example.com"
ADMIN_GROUPS = ["execution-admins"]


@dataclass
class Scenario:
    name: str
    function: str
    target: int | None  # most AWS calls allowed; None: informational
    target_text: str
    warm: Callable[[], dict[str, Any]]
    event: Callable[[], dict[str, Any]]
    expect: int = 200
    kind: str = "http"  # "http" or "eventbridge"
    why_if_missed: str = ""
    # When given, the why is printed only if the operations match it (else "not diagnosed").
    diagnosis: Callable[[list[str]], bool] | None = None
    # False when the warm-up request is not the same kind of request (the replay's warm-up is
    # the key's first use): then "1st call +" is not shown.
    compare_warm: bool = True


class Fixture:
    """Records and running executions for the scenarios."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.repo = ExecutionRepository(stack.table)
        self.ddb = boto3.client("dynamodb")
        self.sfn = boto3.client("stepfunctions")
        self.started: list[str] = []
        self.clock = datetime(2026, 1, 1, tzinfo=UTC)

    def record(self, owner: str = OWNER, state: str = "FINISHED", workflow: str = "batch") -> str:
        """An ended (or given-state) record written straight through the repository."""
        guid = str(uuid.uuid4())
        arn = self.stack.workflow_arn(workflow)
        self.clock += timedelta(seconds=1)
        execution_state = ExecutionState(state)
        self.repo.create(
            Execution(
                guid=guid,
                workflow_id=execution_arn(arn, guid),
                workflow=workflow,
                agentflow_id={"batch": "wf-batch-job", "default": "wf-elevate"}.get(workflow, workflow),
                state_machine_name=state_machine_name(arn),
                owner=identity_of(owner),
                owner_display=owner,
                owner_email=owner,
                session_id="sess-1",
                state=execution_state,
                start_time=self.clock,
                stop_time=self.clock + timedelta(seconds=5) if execution_state.is_terminal else None,
                created_on=int(self.clock.timestamp() * 1000),
                updated_on=int(self.clock.timestamp() * 1000),
                input={"items": ["a"]},
                output={"processed": 1} if execution_state.is_terminal else None,
            )
        )
        return guid

    def running(self, owner: str = OWNER) -> str:
        """A real ``batch`` execution parked on a task-token wait (item "hang")."""
        status, body = invoke(
            "start_execution",
            http_event(
                "POST", "/api/v1/execution", body={"workflow": "batch", "input": {"items": ["hang"]}}, user=owner
            ),
        )
        if status != 201:
            raise RuntimeError(f"could not start a batch execution: {status} {body}")
        guid = body["run_id"]
        self.started.append(guid)
        wait_until(lambda: self.wait_token(guid), timeout=20)
        return guid

    def wait_token(self, guid: str) -> str | None:
        item = self.ddb.get_item(
            TableName=self.stack.table, Key={"pk": {"S": f"EXEC#{guid}"}, "sk": {"S": "RECORD"}}
        ).get("Item", {})
        return item.get("wait_token", {}).get("S")

    def finish(self, guid: str, timeout: float = 20) -> str:
        """Waits until the Step Functions execution has ended; returns its status."""
        arn = f"{self.stack.workflow_arn('batch').replace(':stateMachine:', ':execution:')}:{guid}"

        def ended() -> str | None:
            status = self.sfn.describe_execution(executionArn=arn)["status"]
            return None if status == "RUNNING" else status

        return wait_until(ended, timeout=timeout)

    def release_all(self) -> None:
        """Answers every task token still waiting, so that no execution thread lingers."""
        for guid in self.started:
            token = self.wait_token(guid)
            if token:
                with contextlib.suppress(Exception):  # already answered
                    self.sfn.send_task_failure(taskToken=token, error="BenchCleanup")


def _get(path: str, route: str, params: dict[str, str] | None = None, **kw: Any) -> dict[str, Any]:
    return http_event("GET", path, route=route, path_params=params, **kw)


def _scenarios(fx: Fixture) -> list[Scenario]:
    def one(method: str, collection: str, action: str = "", **kw: Any) -> Callable[[], dict[str, Any]]:
        """An event on a fresh resource made by ``kw['make']`` each time it is called."""
        make = kw.pop("make")

        def build() -> dict[str, Any]:
            guid = make()
            suffix = f"/{action}" if action else ""
            return http_event(
                method,
                f"/api/v1/{collection}/{guid}{suffix}",
                route=f"/api/v1/{collection}/{{id}}{suffix}",
                path_params={"id": guid},
                **kw,
            )

        return build

    def bulk(n: int, running: int = 0) -> Callable[[], dict[str, Any]]:
        def build() -> dict[str, Any]:
            ids = [fx.record() for _ in range(n - running)] + [fx.running() for _ in range(running)]
            return http_event("DELETE", "/api/v1/executions", body={"executionIds": ids})

        return build

    def listing(query: dict[str, str]) -> Callable[[], dict[str, Any]]:
        return lambda: http_event("GET", "/api/v1/executions", query=query)

    def start(key: str | None = None) -> Callable[[], dict[str, Any]]:
        def build() -> dict[str, Any]:
            headers = {"idempotency-key": key or str(uuid.uuid4())} if key is not None else None
            return http_event(
                "POST",
                "/api/v1/execution",
                body={"workflow": "batch", "input": {"items": ["hang"]}},
                headers=headers,
            )

        return build

    replay_key = f"bench-{uuid.uuid4()}"
    ended_runs: list[str] = []

    def describe_target() -> str:
        guid = fx.running()
        fx.sfn.send_task_success(taskToken=fx.wait_token(guid), output='{"ok": true}')
        fx.finish(guid)
        ended_runs.append(guid)
        return guid

    def status_change() -> dict[str, Any]:
        guid = fx.record(state="INPROGRESS")
        arn = f"{fx.stack.workflow_arn('batch').replace(':stateMachine:', ':execution:')}:{guid}"
        now = int(datetime.now(UTC).timestamp() * 1000)
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Step Functions Execution Status Change",
            "source": "aws.states",
            "account": "123456789012",
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": "us-east-1",
            "resources": [arn],
            "detail": {
                "executionArn": arn,
                "stateMachineArn": fx.stack.workflow_arn("batch"),
                "name": guid,
                "status": "SUCCEEDED",
                "startDate": now - 5000,
                "stopDate": now,
                "input": "{}",
                "output": '{"processed": 1}',
            },
        }

    # Enough of alice's records for a second page and page=3 (limit 10), in every state and both
    # workflows, so that two filters at once (state + workflow) meet a FilterExpression.
    states = ["FINISHED", "ERROR", "STOPPED", "TERMINATED", "TIMEOUT", "FINISHED"]
    for i in range(120):
        fx.record(state=states[i % len(states)], workflow=("batch", "default")[i % 2])
    cursor_holder: dict[str, str] = {}

    def second_page() -> dict[str, Any]:
        if "token" not in cursor_holder:
            _, body = invoke("list_executions", listing({"limit": "10"})())
            cursor_holder["token"] = body["next_token"]
        return http_event("GET", "/api/v1/executions", query={"limit": "10", "next_token": cursor_holder["token"]})

    scenarios = [
        Scenario(
            "GET /executions/{id}",
            "get_execution",
            1,
            "1",
            one("GET", "executions", make=fx.record),
            one("GET", "executions", make=fx.record),
        ),
        Scenario(
            "GET /executions (first page, limit=10)",
            "list_executions",
            1,
            "1 (+total)",
            listing({"limit": "10"}),
            listing({"limit": "10"}),
        ),
        Scenario(
            "GET /executions (next_token page)",
            "list_executions",
            1,
            "1 (+total)",
            second_page,
            second_page,
        ),
        Scenario(
            "GET /executions?page=3 (no cursor)",
            "list_executions",
            1,
            "1 (+total)",
            listing({"limit": "10", "page": "3"}),
            listing({"limit": "10", "page": "3"}),
            diagnosis=lambda ops: ops.count("Query") > 1 and ops[0] == "Query",
            why_if_missed=(
                "executions.list_executions: page>1 without next_token calls repository.skip() first, a "
                "keys-only Query over the (page-1)*limit newer items, then the page Query"
            ),
        ),
        Scenario(
            "GET /executions?state=FINISHED&workflow=batch",
            "list_executions",
            1,
            "1 (+total)",
            listing({"limit": "10", "state": "FINISHED", "workflow": "batch"}),
            listing({"limit": "10", "state": "FINISHED", "workflow": "batch"}),
            diagnosis=lambda ops: ops.count("Query") > 1,
            why_if_missed=(
                "repository.query_page: two filters use one index + a FilterExpression, and each follow-up "
                "Query asks only Limit=limit+1-len(items); DynamoDB applies Limit before the filter"
            ),
        ),
        Scenario(
            "DELETE /executions/{id}",
            "delete_execution",
            1,
            "1",
            one("DELETE", "executions", make=fx.record),
            one("DELETE", "executions", make=fx.record),
        ),
        Scenario(
            "PUT /executions/{id} {isPublic}",
            "update_execution",
            2,
            "<=2",
            one("PUT", "executions", make=fx.record, body={"isPublic": True}),
            one("PUT", "executions", make=fx.record, body={"isPublic": True}),
        ),
        Scenario(
            "PUT /executions/{id} {state:STOPPED}",
            "update_execution",
            2,
            "<=2",
            one("PUT", "executions", make=fx.running, body={"state": "STOPPED"}),
            one("PUT", "executions", make=fx.running, body={"state": "STOPPED"}),
        ),
        Scenario(
            "PUT /executions/{id} {state:TERMINATED}",
            "update_execution",
            2,
            "<=2",
            one("PUT", "executions", make=fx.running, body={"state": "TERMINATED"}),
            one("PUT", "executions", make=fx.running, body={"state": "TERMINATED"}),
        ),
        Scenario(
            "PUT /executions/{id} {state:STOPPED,isPublic}",
            "update_execution",
            2,
            "<=2",
            one("PUT", "executions", make=fx.running, body={"state": "STOPPED", "isPublic": True}),
            one("PUT", "executions", make=fx.running, body={"state": "STOPPED", "isPublic": True}),
            diagnosis=lambda ops: ops.count("UpdateItem") >= 2,
            why_if_missed=(
                "execution_updates.update_execution: control.cancel's conditional UpdateItem, then a second "
                "UpdateItem (repository.set_public) for isPublic"
            ),
        ),
        Scenario(
            "PUT /executions/{id} {state:STOPPED} as admin",
            "update_execution",
            2,
            "<=2",
            one("PUT", "executions", make=fx.running, body={"state": "STOPPED"}, user=ADMIN, groups=ADMIN_GROUPS),
            one("PUT", "executions", make=fx.running, body={"state": "STOPPED"}, user=ADMIN, groups=ADMIN_GROUPS),
            diagnosis=lambda ops: ops[:2] == ["GetItem", "UpdateItem"],
            why_if_missed=(
                "control._end: for an admin it first GetItems the record to learn the owner, because "
                "repository.end_on_request conditions on #owner = :owner"
            ),
        ),
    ]
    for n in (1, 10, 100):
        limit = math.ceil(n / 100) + 1
        scenarios.append(
            Scenario(f"DELETE /executions (n={n})", "delete_executions", limit, f"<={limit}", bulk(n), bulk(n))
        )
    scenarios += [
        Scenario(
            "DELETE /executions (n=10, 1 still running)",
            "delete_executions",
            2,
            "<=2",
            bulk(10, running=1),
            bulk(10, running=1),
        ),
        Scenario("POST /execution", "start_execution", 3, "<=3", start(), start(), expect=201),
        Scenario(
            "POST /execution + Idempotency-Key (new key)",
            "start_execution",
            3,
            "<=3",
            start(""),
            start(""),
            expect=201,
            diagnosis=lambda ops: ops.count("PutItem") >= 2 and "UpdateItem" in ops,
            why_if_missed=(
                "Powertools idempotency adds a conditional PutItem (INPROGRESS) before and an UpdateItem "
                "(COMPLETED) after the PutItem+StartExecution of execution_start.start"
            ),
        ),
        Scenario(
            "POST /execution + Idempotency-Key (replay)",
            "start_execution",
            3,
            "<=3",
            start(replay_key),
            start(replay_key),
            expect=201,
            compare_warm=False,
        ),
        Scenario(
            "GET /execution/{id} (record + history)",
            "describe_execution",
            None,
            "1 + history pages",
            one("GET", "execution", make=describe_target),
            one("GET", "execution", make=describe_target),
        ),
        Scenario(
            "GET|POST /execution/{id}/cancel",
            "cancel_execution",
            3,
            "<=3",
            one("POST", "execution", "cancel", make=fx.running),
            one("POST", "execution", "cancel", make=fx.running),
        ),
        Scenario(
            "GET|POST /execution/{id}/terminate",
            "terminate_execution",
            3,
            "<=3",
            one("POST", "execution", "terminate", make=fx.running),
            one("POST", "execution", "terminate", make=fx.running),
        ),
        Scenario(
            "cancel as admin",
            "cancel_execution",
            3,
            "<=3",
            one("POST", "execution", "cancel", make=fx.running, user=ADMIN, groups=ADMIN_GROUPS),
            one("POST", "execution", "cancel", make=fx.running, user=ADMIN, groups=ADMIN_GROUPS),
        ),
        Scenario(
            "terminate as admin",
            "terminate_execution",
            3,
            "<=3",
            one("POST", "execution", "terminate", make=fx.running, user=ADMIN, groups=ADMIN_GROUPS),
            one("POST", "execution", "terminate", make=fx.running, user=ADMIN, groups=ADMIN_GROUPS),
        ),
        Scenario(
            "sync_status (EventBridge status change)",
            "sync_status",
            None,
            "-",
            status_change,
            status_change,
            kind="eventbridge",
        ),
    ]
    return scenarios


def _extra(first: list[str], warm: list[str]) -> list[str]:
    """Operations the function's first (cold) request made beyond a warm one's."""
    remaining = list(warm)
    extra = []
    for operation in first:
        if operation in remaining:
            remaining.remove(operation)
        else:
            extra.append(operation)
    return extra


def _run_one(scenario: Scenario) -> dict[str, Any]:
    def call(event: dict[str, Any]) -> tuple[int, Any]:
        if scenario.kind == "eventbridge":
            return 200, call_handler(scenario.function, event)
        return invoke(scenario.function, event)

    warm_event = scenario.warm()
    with CallRecorder() as warm_recorder, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warm_status, _ = call(warm_event)
    event = scenario.event()
    with CallRecorder() as recorder, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status, body = call(event)
    calls = recorder.calls
    total = [c for c in calls if c.operation == "Query" and c.params.get("Select") == "COUNT"]
    counted = [c for c in calls if c not in total]
    history_pages = sum(1 for c in counted if c.operation == "GetExecutionHistory")
    target = scenario.target
    if target is None and scenario.function == "describe_execution":
        target = 1 + history_pages
    n = len(counted)
    row: dict[str, Any] = {
        "endpoint": scenario.name,
        "function": scenario.function,
        "status": status,
        "warm_status": warm_status,
        "first_call_extra": _extra(warm_recorder.operations, [c.operation for c in calls])
        if scenario.compare_warm
        else [],
        "calls": n,
        "operations": [f"{c.service}:{c.operation}" for c in counted],
        "total_count_calls": len(total),
        "total_count_operations": [f"{c.service}:{c.operation}(Select=COUNT)" for c in total],
        "target": scenario.target_text,
        "target_max": target,
        "met": None if target is None else n <= target,
    }
    if scenario.function == "describe_execution" and isinstance(body, dict):
        row["history_events"] = len(body.get("history", []))
        row["history_pages"] = history_pages
    if status != scenario.expect:
        row["error"] = f"expected HTTP {scenario.expect}, got {status}: {str(body)[:300]}"
    if caught:
        row["warnings"] = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
    if row["met"] is False:
        ops = [c.operation for c in counted]
        known = scenario.why_if_missed and (scenario.diagnosis is None or scenario.diagnosis(ops))
        row["why"] = scenario.why_if_missed if known else "(not diagnosed: see operations)"
    return row


def run(quick: bool = False) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    with embedded_aws() as stack:
        fx = Fixture(stack)
        try:
            for scenario in _scenarios(fx):
                try:
                    rows.append(_run_one(scenario))
                except Exception as error:  # noqa: BLE001 (a benchmark reports, it does not stop)
                    rows.append({"endpoint": scenario.name, "function": scenario.function, "error": repr(error)})
        finally:
            fx.release_all()

    table = []
    for row in rows:
        if "calls" not in row:
            table.append([row["endpoint"], "ERR", "-", "-", "-", "-", row.get("error", "")[:90]])
            continue
        ops = " ".join(op.split(":", 1)[1] for op in row["operations"])
        extra = f" +total: {row['total_count_calls']}xQuery(COUNT)" if row["total_count_calls"] else ""
        verdict = "-" if row["met"] is None else ("ok" if row["met"] else "MISS")
        if row.get("error"):
            verdict = "ERR"
        first = " ".join(row["first_call_extra"]) or "-"
        table.append([row["endpoint"], row["calls"], row["target"], verdict, row["status"], first, ops + extra])
    print_table(
        "1. AWS API calls per request (warm function, in-process, moto)",
        ["endpoint", "calls", "target", "met", "HTTP", "1st call +", "operations"],
        table,
        note=(
            "calls = AWS API calls the request itself made (botocore _make_api_call, this thread only);\n"
            "the `total` of GET /executions (Select=COUNT Query) is listed after +total and not counted.\n"
            "1st call + = what the container's first request made on top (caches: secrets, clients)."
        ),
    )
    for row in rows:
        if row.get("met") is False:
            print(f"   MISS {row['endpoint']}: {row['why']}")
        if row.get("error"):
            print(f"   ERROR {row['endpoint']}: {row['error']}")
        for warning in row.get("warnings", []):
            print(f"   WARNING during {row['endpoint']}: {warning}")
    return {"rows": rows}
