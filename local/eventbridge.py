"""EventBridge, played locally for "Step Functions Execution Status Change" events.

moto runs executions but emits no events. A daemon thread polls the template's state machines
(and those the rules name by ARN, once they exist) and, for each execution that has ended,
builds the event AWS would send and delivers it to every function whose ``EventBridgeRule``
pattern matches it: once per execution; a handler that raises gets the event again at the next
poll, up to its ``EventInvokeConfig`` retry count.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from toolkit.functions import LambdaFunction
from toolkit.template import REGION, Resolver, TemplateError

LOG = logging.getLogger("local.eventbridge")
POLL_SECONDS = 0.2
# EventBridge invokes Lambda asynchronously: a function error is retried by Lambda, as the
# function's EventInvokeConfig says (2 retries by default), not by the rule's RetryPolicy.
DEFAULT_ASYNC_RETRIES = 2


def matches(pattern: Any, event: Any) -> bool:
    """EventBridge pattern matching: a dict matches field by field, a list matches when the
    event's value (or any of its values, for an array) equals one of its entries or satisfies
    one of its content filters (``prefix``, ``suffix``, ``anything-but``, ``exists``)."""
    if isinstance(pattern, dict):
        if not isinstance(event, dict):
            return False
        for key, sub_pattern in pattern.items():
            present = key in event
            if isinstance(sub_pattern, list) and any(
                isinstance(item, dict) and "exists" in item for item in sub_pattern
            ):
                wanted = next(item["exists"] for item in sub_pattern if isinstance(item, dict) and "exists" in item)
                if bool(wanted) != present:
                    return False
                continue
            if not present or not matches(sub_pattern, event[key]):
                return False
        return True
    if isinstance(pattern, list):
        values = event if isinstance(event, list) else [event]
        return any(_matches_one(item, value) for item in pattern for value in values)
    return pattern == event


def _matches_one(item: Any, value: Any) -> bool:
    if not isinstance(item, dict):
        return item == value
    if "prefix" in item:
        return isinstance(value, str) and value.startswith(item["prefix"])
    if "suffix" in item:
        return isinstance(value, str) and value.endswith(item["suffix"])
    if "anything-but" in item:
        excluded = item["anything-but"]
        return value not in (excluded if isinstance(excluded, list) else [excluded])
    raise TemplateError(f"event pattern filter {item} is not emulated locally")


@dataclass(frozen=True)
class Rule:
    function: LambdaFunction
    pattern: dict[str, Any]
    max_retries: int


def build_rules(template: dict[str, Any], functions: dict[str, LambdaFunction], resolver: Resolver) -> list[Rule]:
    rules = []
    for logical_id, function in functions.items():
        function_properties = template["Resources"][logical_id].get("Properties", {})
        invoke_config = function_properties.get("EventInvokeConfig") or {}
        retries = int(resolver.resolve(invoke_config.get("MaximumRetryAttempts", DEFAULT_ASYNC_RETRIES), logical_id))
        for event_name, event in function_properties.get("Events", {}).items():
            if event.get("Type") not in ("EventBridgeRule", "CloudWatchEvent"):
                continue
            where = f"{logical_id}.Events.{event_name}"
            pattern = resolver.resolve(event.get("Properties", {}).get("Pattern") or {}, where)
            rules.append(Rule(function, pattern, retries))
    return rules


def watched_state_machines(rules: list[Rule]) -> list[str]:
    """The state machine ARNs the rules' patterns name (``detail.stateMachineArn``)."""
    return sorted(
        {
            arn
            for rule in rules
            for arn in rule.pattern.get("detail", {}).get("stateMachineArn", [])
            if isinstance(arn, str)
        }
    )


def _millis(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1000) if moment else None


def status_change_event(execution: dict[str, Any], account_id: str) -> dict[str, Any]:
    """The event AWS sends for ``execution`` (a DescribeExecution response)."""
    stop = execution.get("stopDate")
    moment = (stop or datetime.now(UTC)).astimezone(UTC)
    output = execution.get("output")
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": account_id,
        "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [execution["executionArn"]],
        "detail": {
            "executionArn": execution["executionArn"],
            "stateMachineArn": execution["stateMachineArn"],
            "name": execution["name"],
            "status": execution["status"],
            "startDate": _millis(execution.get("startDate")),
            "stopDate": _millis(stop),
            "input": execution.get("input"),
            "inputDetails": {"included": True},
            "output": output,
            "outputDetails": {"included": True} if output is not None else None,
            "error": execution.get("error"),
            "cause": execution.get("cause"),
        },
    }


class StatusChangePoller:
    def __init__(self, stepfunctions: Any, state_machine_arns: list[str], rules: list[Rule], account_id: str) -> None:
        self._sfn = stepfunctions
        self._state_machines = state_machine_arns
        self._rules = rules
        self._account_id = account_id
        self._delivered: set[str] = set()
        self._attempts: dict[tuple[str, str], int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="local-status-changes", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            try:
                self.poll_once()
            except Exception:
                LOG.exception("status-change poll failed")

    def poll_once(self) -> int:
        """Delivers the events of executions that ended since the last poll; returns how many."""
        delivered = 0
        for state_machine_arn in self._state_machines:
            for summary in self._executions(state_machine_arn):
                arn = summary["executionArn"]
                if summary["status"] == "RUNNING" or arn in self._delivered:
                    continue
                if self._deliver(self._sfn.describe_execution(executionArn=arn)):
                    self._delivered.add(arn)
                    for key in [key for key in self._attempts if key[0] == arn]:
                        del self._attempts[key]
                    delivered += 1
        return delivered

    def _executions(self, state_machine_arn: str) -> Iterator[dict[str, Any]]:
        """Its executions; none while a state machine registered by ARN does not exist here (yet)."""
        try:
            for page in self._sfn.get_paginator("list_executions").paginate(stateMachineArn=state_machine_arn):
                yield from page["executions"]
        except self._sfn.exceptions.StateMachineDoesNotExist:
            return

    def _deliver(self, execution: dict[str, Any]) -> bool:
        """True when every matching rule's function took the event (or gave up on it)."""
        event = status_change_event(execution, self._account_id)
        done = True
        for rule in self._rules:
            if not matches(rule.pattern, event):
                continue
            key = (execution["executionArn"], rule.function.logical_id)
            if self._attempts.get(key, 0) < 0:
                continue  # this rule already took this execution's event
            try:
                rule.function.invoke(json.loads(json.dumps(event)))
                self._attempts[key] = -1
            except Exception:
                attempts = self._attempts.get(key, 0) + 1
                self._attempts[key] = attempts
                if attempts > rule.max_retries:
                    LOG.exception("%s failed on %s; giving up", rule.function.logical_id, execution["name"])
                    self._attempts[key] = -1
                else:
                    LOG.warning("%s failed on %s; retrying", rule.function.logical_id, execution["name"])
                    done = False
        return done


# -- schedules -----------------------------------------------------------------------------------

_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class Schedule:
    function: LambdaFunction
    rule_name: str
    interval_seconds: float
    input: dict[str, Any] | None


def build_schedules(
    template: dict[str, Any], functions: dict[str, LambdaFunction], resolver: Resolver
) -> tuple[list[Schedule], list[str]]:
    """The functions' ``Schedule``/``ScheduleV2`` events that are ``rate(...)`` expressions, and
    a note for each one that cannot be emulated (``cron(...)``)."""
    schedules, skipped = [], []
    for logical_id, function in functions.items():
        events = template["Resources"][logical_id].get("Properties", {}).get("Events", {})
        for event_name, event in events.items():
            if event.get("Type") not in ("Schedule", "ScheduleV2"):
                continue
            raw = event.get("Properties", {})
            properties = {
                key: resolver.resolve(raw[key], f"{logical_id}.Events.{event_name}")
                for key in ("Schedule", "ScheduleExpression", "Input", "Enabled", "State")
                if key in raw
            }
            if properties.get("Enabled") is False or properties.get("State") == "DISABLED":
                continue
            expression = str(properties.get("Schedule") or properties.get("ScheduleExpression") or "")
            found = _RATE.match(expression.strip())
            if not found:
                skipped.append(f"{logical_id}.{event_name}: {expression} is not emulated locally")
                continue
            seconds = int(found[1]) * _UNIT_SECONDS[found[2].rstrip("s")]
            raw_input = properties.get("Input")
            schedules.append(
                Schedule(
                    function, f"{function.name}-{event_name}", seconds, json.loads(raw_input) if raw_input else None
                )
            )
    return schedules, skipped


class Scheduler:
    """Invokes each scheduled function every interval (first run one interval after start)."""

    def __init__(self, schedules: list[Schedule], account_id: str) -> None:
        self._schedules = schedules
        self._account_id = account_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="local-schedules", daemon=True)

    def start(self) -> None:
        if self._schedules:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        started = time.monotonic()
        due = {index: started + schedule.interval_seconds for index, schedule in enumerate(self._schedules)}
        while not self._stop.wait(min(1.0, max(0.0, min(due.values()) - time.monotonic()))):
            now = time.monotonic()
            for index, schedule in enumerate(self._schedules):
                if due[index] > now:
                    continue
                due[index] = now + schedule.interval_seconds
                try:
                    schedule.function.invoke(self.event(schedule))
                except Exception:
                    LOG.exception("scheduled %s failed", schedule.function.logical_id)

    def event(self, schedule: Schedule) -> dict[str, Any]:
        if schedule.input is not None:
            return schedule.input
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": self._account_id,
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": REGION,
            "resources": [f"arn:aws:events:{REGION}:{self._account_id}:rule/{schedule.rule_name}"],
            "detail": {},
        }
