"""A bounded concurrent load on the local server, then the invariants that must hold after it.

16 worker threads (each with its own clients) run a fixed, seeded plan of mixed operations by
four users and two approvers — creates (quick batches, ``["hang"]`` batches, elevations), lists
with filters, gets, updates, cancels, terminates, decisions through the links of ``GET /signals``,
deletes, bulk deletes, operations on another user's executions — plus two races: cancel and
terminate of one execution at the same moment, and one decision link clicked twice at once.
Every request and response is recorded (``RecordingClient``). Once everything still running is
terminated and every record has ended, the run is checked: responses well-formed and never 5xx,
each record's state agrees with how its Step Functions execution ended, no execution without a
record and no record without an execution, no terminal state ever changed, nobody saw or changed
another user's executions, nobody is left in a role's IAM group once every elevation has ended,
and each race had exactly one winner.
"""

from __future__ import annotations

import contextlib
import random
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.e2e.conftest import (
    APPROVERS,
    ApiClient,
    Reply,
    a_user,
    elevation,
    follow,
    group_members,
    pending_signal,
    wait_for,
)

pytestmark = [pytest.mark.e2e, pytest.mark.concurrency]

WORKERS = 16
PLANNED_OPERATIONS = 480
WALL_CLOCK_CAP_SECONDS = 60.0
SETTLE_TIMEOUT_SECONDS = 20.0
WAITING_EVENTS = {"TaskScheduled", "TaskStarted", "TaskSubmitted"}
SIGNAL_TIMEOUT_SECONDS = 40.0
DOUBLE_CLICKS = {3, 123, 243, 363}
SEED = 20261123

TERMINAL = {"FINISHED", "ERROR", "TIMEOUT", "STOPPED", "TERMINATED"}
DOCUMENTED_STATUSES = {200, 201, 400, 401, 403, 404, 409, 410}
# status_sync's own list: the workflows' named timeouts end FAILED but mean TIMEOUT.
TIMEOUT_ERRORS = {"States.Timeout", "ApprovalExpired", "ItemTimedOut"}
# What moto ends a stopped Map with (see toolkit/moto_fixes.py); a stop as the Map starts gives the last.
MAP_STOP_ERRORS = {"States.Runtime", "DynamoDb.ConditionalCheckFailedException", "States.QueryEvaluationError"}

_ID = r"(?P<id>[^/?]+)"
OPERATIONS = [
    ("POST", re.compile(r"^/execution$"), "create"),
    ("GET", re.compile(r"^/executions$"), "list"),
    ("DELETE", re.compile(r"^/executions$"), "bulk_delete"),
    ("GET", re.compile(rf"^/executions/{_ID}$"), "get"),
    ("PUT", re.compile(rf"^/executions/{_ID}$"), "update"),
    ("DELETE", re.compile(rf"^/executions/{_ID}$"), "delete"),
    ("GET", re.compile(rf"^/execution/{_ID}$"), "describe"),
    (None, re.compile(rf"^/execution/{_ID}/cancel$"), "cancel"),
    (None, re.compile(rf"^/execution/{_ID}/terminate$"), "terminate"),
    ("GET", re.compile(rf"^/execution/{_ID}/signal$"), "signal"),
    ("GET", re.compile(r"^/signals$"), "signals"),
]


@dataclass
class Exchange:
    user: str
    method: str
    path: str
    operation: str
    guid: str | None
    body: Any
    started: float
    ended: float
    reply: Reply
    tag: str = ""


@dataclass
class Log:
    lock: threading.Lock = field(default_factory=threading.Lock)
    exchanges: list[Exchange] = field(default_factory=list)

    def add(self, exchange: Exchange) -> None:
        with self.lock:
            self.exchanges.append(exchange)


def classify(method: str, path: str) -> tuple[str, str | None]:
    bare = path.split("?", 1)[0]
    for wanted, pattern, name in OPERATIONS:
        found = pattern.match(bare)
        if found and wanted in (None, method):
            return name, found.groupdict().get("id")
    return f"{method} {bare}", None


class RecordingClient(ApiClient):
    """The suite's client, with every request and response appended to a shared ``Log``."""

    def __init__(self, base_url: str, token: str, user: str, log: Log) -> None:
        super().__init__(base_url, token)
        self.user = user
        self.log = log
        self.tag = ""

    def request(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Reply:
        started = time.monotonic()
        try:
            reply = super().request(method, path, body, **kwargs)
        except OSError as error:  # recorded as status 0: the "no transport errors" check reports it
            reply = Reply(0, f"{type(error).__name__}: {error}", {})
        operation, guid = classify(method, path)
        self.log.add(
            Exchange(self.user, method, path, operation, guid, body, started, time.monotonic(), reply, self.tag)
        )
        return reply


@dataclass
class World:
    """What the run knows: who created what, and which ids a race or a delete touched."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    owner: dict[str, str] = field(default_factory=dict)  # run_id -> user
    kind: dict[str, str] = field(default_factory=dict)  # run_id -> quick | hang | elevation
    by_user: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    race_cancel_terminate: list[tuple[str, list[Reply]]] = field(default_factory=list)
    double_clicks: list[tuple[str, list[Reply]]] = field(default_factory=list)
    foreign_replies: list[tuple[str, str, Reply]] = field(default_factory=list)
    reserved: set[str] = field(default_factory=set)
    signal_waits: list[float] = field(default_factory=list)

    def created(self, user: str, run_id: str, kind: str, *, reserved: bool = False) -> None:
        """A reserved execution (a race's) is left alone by the random operations until ``release``."""
        with self.lock:
            self.owner[run_id] = user
            self.kind[run_id] = kind
            if reserved:
                self.reserved.add(run_id)
            else:
                self.by_user[user].append(run_id)

    def release(self, run_id: str) -> None:
        with self.lock:
            self.reserved.discard(run_id)
            self.by_user[self.owner[run_id]].append(run_id)

    def some(self, rng: random.Random, user: str) -> str | None:
        with self.lock:
            ids = self.by_user[user]
            return rng.choice(ids) if ids else None

    def sample(self, rng: random.Random, user: str, count: int) -> list[str]:
        with self.lock:
            ids = list(self.by_user[user])
        return rng.sample(ids, min(count, len(ids)))


def at_once(*calls: Callable[[], Reply]) -> list[Reply]:
    """Runs the calls in their own threads, released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    replies: list[Reply | None] = [None] * len(calls)

    def run(index: int, call: Callable[[], Reply]) -> None:
        barrier.wait(timeout=10)
        replies[index] = call()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=40)
    assert all(reply is not None for reply in replies), replies
    return [reply for reply in replies if reply is not None]


def test_a_bounded_concurrent_load_keeps_every_invariant(
    isolated_local_server: str, token_for: Callable[..., str]
) -> None:
    local_server = isolated_local_server
    began = time.monotonic()
    log = Log()
    world = World()
    users = [a_user() for _ in range(4)]
    approvers = [a_user() for _ in range(2)]
    tokens = {name: token_for(name) for name in users} | {name: token_for(name, [APPROVERS]) for name in approvers}
    local = threading.local()

    def client(name: str) -> RecordingClient:
        """One client per user per thread: no client is shared between threads."""
        clients = local.__dict__.setdefault("clients", {})
        if name not in clients:
            clients[name] = RecordingClient(local_server, tokens[name], name, log)
        return clients[name]

    def create(rng: random.Random, user: str, kind: str, *, reserved: bool = False) -> str | None:
        if kind == "quick":
            body = {"workflow": "batch", "input": {"items": rng.sample(["a", "b", "c", "d"], rng.randint(1, 3))}}
        elif kind == "hang":
            body = {"workflow": "batch", "input": {"items": ["hang"]}}
        else:
            body = {"workflow": "default", "input": elevation(rng.choice(["developer", "admin"]))}
        status, reply, _ = client(user).post("/execution", body)
        if status == 201:
            world.created(user, reply["run_id"], kind, reserved=reserved)
            return reply["run_id"]
        return None

    def race_cancel_terminate(rng: random.Random, user: str) -> None:
        guid = create(rng, user, rng.choice(["hang", "elevation"]), reserved=True)
        if guid is None:
            return
        owner_a, owner_b = RecordingClient(local_server, tokens[user], user, log), client(user)
        method = rng.choice(["GET", "POST"])
        replies = at_once(
            lambda: owner_a.request(method, f"/execution/{guid}/cancel"),
            lambda: owner_b.request(method, f"/execution/{guid}/terminate"),
        )
        with world.lock:
            world.race_cancel_terminate.append((guid, replies))
        world.release(guid)

    def announced_elevation(user: str) -> tuple[str, str, dict]:
        """An elevation with an approver of its own, once its decision link is announced. Made before
        the load: links are announced by the server's one stream poller, which falls far behind under
        this load (announcements took > 40 s, see the report), so waiting for one mid-load would stall."""
        approver = a_user()
        tokens[approver] = token_for(approver, [APPROVERS])
        status, reply, _ = client(user).post("/execution", {"workflow": "default", "input": elevation()})
        assert status == 201, reply
        guid = reply["run_id"]
        world.created(user, guid, "elevation", reserved=True)
        waited = time.monotonic()
        signal = wait_for(lambda: pending_signal(client(approver), guid), timeout=SIGNAL_TIMEOUT_SECONDS)
        world.signal_waits.append(time.monotonic() - waited)
        return approver, guid, signal

    def double_click(rng: random.Random, user: str) -> None:
        approver, guid, signal = clickable.pop()
        link = signal[rng.choice(["approve_url", "deny_url"])]
        first, second = RecordingClient(local_server, tokens[approver], approver, log), client(approver)
        replies = at_once(lambda: follow(first, link), lambda: follow(second, link))
        with world.lock:
            world.double_clicks.append((guid, replies))
        world.release(guid)

    def decide(rng: random.Random) -> None:
        approver = client(rng.choice(approvers))
        status, body, _ = approver.get("/signals")
        with world.lock:
            free = [signal for signal in body.get("signals", []) if signal["guid"] not in world.reserved]
        if status == 200 and free:
            signal = rng.choice(free)
            follow(approver, signal[rng.choice(["approve_url", "approve_url", "deny_url"])])

    def foreign(rng: random.Random, user: str) -> None:
        stranger = rng.choice([name for name in users if name != user])
        guid = world.some(rng, stranger)
        if guid is None:
            return
        me = client(user)
        action = rng.choice(["get", "describe", "public", "stop", "cancel", "terminate", "delete"])
        me.tag = "foreign"
        try:
            reply = {
                "get": lambda: me.get(f"/executions/{guid}"),
                "describe": lambda: me.get(f"/execution/{guid}"),
                "public": lambda: me.put(f"/executions/{guid}", {"isPublic": True}),
                "stop": lambda: me.put(f"/executions/{guid}", {"state": "STOPPED"}),
                "cancel": lambda: me.post(f"/execution/{guid}/cancel"),
                "terminate": lambda: me.get(f"/execution/{guid}/terminate"),
                "delete": lambda: me.delete(f"/executions/{guid}"),
            }[action]()
        finally:
            me.tag = ""
        with world.lock:
            world.foreign_replies.append((action, guid, reply))

    def operate(index: int, deadline: float) -> None:
        if time.monotonic() > deadline:
            return None
        rng = random.Random(SEED * 1000 + index)
        user = users[index % len(users)]
        me = client(user)
        if index % 60 == 7:
            return race_cancel_terminate(rng, user)
        if index in DOUBLE_CLICKS:
            return double_click(rng, user)
        operation = rng.choices(
            ["create", "list", "get", "update", "cancel", "terminate", "decide", "delete", "bulk", "foreign"],
            weights=[24, 14, 12, 10, 6, 6, 10, 6, 3, 9],
        )[0]
        if operation == "create" or not world.by_user[user]:
            create(rng, user, rng.choices(["quick", "hang", "elevation"], weights=[5, 2, 3])[0])
            return None
        if operation == "list":
            query = rng.choice(
                [
                    {},
                    {"state": "INPROGRESS"},
                    {"status": "completed"},
                    {"workflow": "batch", "limit": 5},
                    {"limit": 3, "page": 2},
                    {"workflow": "default", "state": "TERMINATED"},
                ]
            )
            me.get("/executions", query=query)
        elif operation == "get":
            guid = world.some(rng, user)
            me.get(f"/executions/{guid}" if rng.random() < 0.6 else f"/execution/{guid}")
        elif operation == "update":
            body = rng.choice([{"isPublic": True}, {"isPublic": False}, {"state": "STOPPED"}, {"state": "TERMINATED"}])
            me.put(f"/executions/{world.some(rng, user)}", body)
        elif operation in ("cancel", "terminate"):
            me.request(rng.choice(["GET", "POST"]), f"/execution/{world.some(rng, user)}/{operation}")
        elif operation == "decide":
            decide(rng)
        elif operation == "delete":
            me.delete(f"/executions/{world.some(rng, user)}")
        elif operation == "bulk":
            stranger = rng.choice([name for name in users if name != user])
            ids = world.sample(rng, user, rng.randint(1, 4)) + world.sample(rng, stranger, 1)
            me.delete("/executions", {"executionIds": ids})
        else:
            foreign(rng, user)
        return None

    clickable = [announced_elevation(users[index % len(users)]) for index in range(len(DOUBLE_CLICKS))]

    # -- the load -----------------------------------------------------------------------------------
    deadline = time.monotonic() + WALL_CLOCK_CAP_SECONDS
    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="load") as pool:
        for future in [pool.submit(operate, index, deadline) for index in range(PLANNED_OPERATIONS)]:
            future.result()
    load_seconds = time.monotonic() - began

    # -- settle: end whatever still runs, then wait until every record and execution has ended ------
    settler = {name: RecordingClient(local_server, tokens[name], name, log) for name in users}
    for name in users:
        settler[name].tag = "settle"

    def listed(name: str) -> list[dict]:
        records, token = [], None
        while True:
            query = {"limit": 100, **({"next_token": token} if token else {})}
            status, body, _ = settler[name].get("/executions", query=query)
            assert status == 200, body
            records += body["executions"]
            token = body["next_token"]
            if not token:
                return records

    for name in users:
        for record in listed(name):
            if record["state"] == "INPROGRESS":
                settler[name].post(f"/execution/{record['guid']}/terminate")

    def snapshot() -> tuple[dict[str, dict], list[str]]:
        """Every record with its history, and those not yet ended on both sides."""
        described: dict[str, dict] = {}
        unsettled: list[str] = []
        for name in users:
            for record in listed(name):
                status, body, _ = settler[name].get(f"/execution/{record['guid']}")
                if status != 200:
                    unsettled.append(f"{record['guid']}: GET /execution -> {status}")
                    continue
                described[body["guid"]] = body
                last = body["history"][-1]["sfn_event_type"] if body["history"] else None
                if (
                    body["state"] not in TERMINAL
                    or last is None
                    or not last.startswith("Execution")
                    or last == "ExecutionStarted"
                ):
                    unsettled.append(
                        f"{body['guid']} ({world.kind.get(body['guid'])}): record {body['state']}, last {last}"
                    )
                    if body["state"] == "STOPPED" and last in WAITING_EVENTS:
                        still_waiting_after_cancel.add(body["guid"])
        return described, unsettled

    settle_deadline = time.monotonic() + SETTLE_TIMEOUT_SECONDS
    while True:
        still_waiting_after_cancel: set[str] = set()
        survivors, unsettled = snapshot()
        if not unsettled or time.monotonic() > settle_deadline:
            break
        time.sleep(0.5)

    # -- invariants ----------------------------------------------------------------------------------
    exchanges = sorted(log.exchanges, key=lambda exchange: exchange.started)
    violations: list[str] = []
    checks: Counter[str] = Counter()

    def check(name: str, ok: bool, detail: str) -> None:
        checks[name] += 1
        if not ok:
            violations.append(f"{name}: {detail}")

    # A cancel must reach the workflow: a record STOPPED whose execution still waits at a task is a
    # lost cancel (control.deliver_cancel sends it until the workflow has it).
    lost_cancels = sorted(still_waiting_after_cancel)
    for guid in lost_cancels:
        check("no cancel lost", False, f"{guid} ({world.kind.get(guid)}): record STOPPED, execution still waits")
    check("no cancel lost", True, "")
    for detail in unsettled:
        check("settled within the bound", False, detail)
    check("settled within the bound", True, "")

    # 1. every response well-formed: JSON, a documented status, error bodies {statusCode, message}, no 5xx
    for exchange in exchanges:
        status, body = exchange.reply.status, exchange.reply.body
        where = f"{exchange.method} {exchange.path} -> {status} {str(body)[:300]}"
        check("no transport errors", status != 0, where)
        if status == 0:
            continue
        check("no 5xx", status < 500, where)
        check("documented status", status in DOCUMENTED_STATUSES, where)
        check("JSON object body", isinstance(body, dict), where)
        if status >= 400 and isinstance(body, dict):
            check(
                "error body",
                body.get("statusCode") == status and isinstance(body.get("message"), str) and body["message"] != "",
                where,
            )

    # 2. per-operation outcomes the contract allows (own executions)
    allowed = {
        "create": {201},
        "list": {200},
        "get": {200, 404},
        "describe": {200, 404},
        "update": {200, 404, 409},
        "cancel": {200, 404, 409},
        "terminate": {200, 404, 409},
        "delete": {200, 404, 409},
        "bulk_delete": {200},
        "signal": {200, 404, 409},
        "signals": {200},
    }
    deletes_by_id: dict[str, list[Exchange]] = defaultdict(list)
    for exchange in exchanges:
        if exchange.tag == "foreign":
            continue
        if exchange.operation == "delete" and exchange.guid:
            deletes_by_id[exchange.guid].append(exchange)
        if exchange.operation == "bulk_delete" and isinstance(exchange.body, dict):
            for guid in exchange.body["executionIds"]:
                if world.owner.get(guid) == exchange.user:
                    deletes_by_id[guid].append(exchange)
    for exchange in exchanges:
        if exchange.tag == "foreign":
            continue
        where = f"{exchange.user} {exchange.method} {exchange.path} -> {exchange.reply.status} {exchange.reply.body}"
        check("allowed outcome", exchange.reply.status in allowed.get(exchange.operation, set()), where)
        if exchange.reply.status == 404 and exchange.guid and exchange.operation != "signal":
            # an own execution is only ever gone after a delete of it was sent
            check(
                "404 only after a delete",
                any(delete.started < exchange.ended for delete in deletes_by_id[exchange.guid]),
                where,
            )
        if exchange.operation == "bulk_delete" and exchange.reply.status == 200:
            own = [guid for guid in exchange.body["executionIds"] if world.owner.get(guid) == exchange.user]
            check("bulk delete counts only own", 0 <= exchange.reply.body["affected"] <= len(own), where)

    # 3. no user saw or changed another's: lists hold only the caller's, foreign ops are 404
    for exchange in exchanges:
        if exchange.operation == "list" and exchange.reply.status == 200:
            foreign_rows = [
                (row["guid"], row["user"], row["state"], row.get("isPublic"))
                for row in exchange.reply.body["executions"]
                if row["user"] != exchange.user
            ]
            check(
                "list shows only own",
                not foreign_rows,
                f"{exchange.user} {exchange.path} [{exchange.tag}] saw {foreign_rows} (own of those: "
                f"{[world.owner.get(guid) for guid, *_ in foreign_rows]})",
            )
        if exchange.operation in ("get", "describe", "update") and exchange.reply.status == 200:
            body = exchange.reply.body
            check(
                "resource is the caller's (or public)",
                body["user"] == exchange.user or (exchange.operation != "update" and body.get("isPublic") is True),
                str(exchange.path),
            )
    for action, guid, reply in world.foreign_replies:
        # a record its owner made public (PUT isPublic) may be read by anyone (executions.load_owned)
        public_read = action in ("get", "describe") and reply.status == 200 and reply.body.get("isPublic") is True
        check(
            "foreign op is 404 (or a read of a public record)",
            reply.status == 404 or public_read,
            f"{action} {guid} -> {reply.status} {str(reply.body)[:300]}",
        )

    # 4. no terminal state ever changed: no observation of another state begun after a terminal one was seen
    observations: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for exchange in exchanges:
        body = exchange.reply.body
        if exchange.reply.status != 200 or not isinstance(body, dict):
            continue
        if exchange.operation in ("get", "describe", "update"):
            observations[body["guid"]].append((exchange.started, exchange.ended, body["state"]))
        elif exchange.operation == "list":
            for row in body["executions"]:
                observations[row["guid"]].append((exchange.started, exchange.ended, row["state"]))
    for guid, seen in observations.items():
        for _, terminal_ended, terminal in [item for item in seen if item[2] in TERMINAL]:
            later = [state for started, _, state in seen if started > terminal_ended and state != terminal]
            check("terminal state never changes", not later, f"{guid}: {terminal} then {later}")
            break  # the first terminal observation is compared with everything after it

    # 5. no execution without a record, no record without an execution
    for guid, user in world.owner.items():
        successful_deletes = [e for e in deletes_by_id[guid] if e.reply.status == 200]
        check(
            "every created execution has a record or was deleted",
            guid in survivors or bool(successful_deletes),
            f"{guid} of {user} ({world.kind[guid]}) is gone without a successful delete",
        )
    for guid, body in survivors.items():
        check("record has an execution", bool(body["history"]), guid)
        check("record was created by this run", guid in world.owner, guid)

    # 6. each surviving record's state agrees with how its Step Functions execution ended
    moto_quirks = 0
    for guid, body in survivors.items():
        last = body["history"][-1]
        sfn, error, state = last["sfn_event_type"], last.get("error"), body["state"]
        if sfn == "ExecutionSucceeded":
            expected = {"FINISHED"}
        elif sfn == "ExecutionAborted" or (sfn == "ExecutionFailed" and error == "ExecutionTerminated"):
            # ExecutionTerminated: the workflow saw the terminate first (its end claim failed).
            expected = {"TERMINATED"}
        elif sfn == "ExecutionTimedOut" or (sfn == "ExecutionFailed" and error in TIMEOUT_ERRORS):
            expected = {"TIMEOUT"}
        elif sfn == "ExecutionFailed" and error == "ExecutionCancelled":
            expected = {"STOPPED"}  # history.py shows it as WorkflowExecutionCanceled
        elif sfn == "ExecutionFailed" and error in MAP_STOP_ERRORS and state == "TERMINATED":
            # moto quirk (toolkit/moto_fixes.py): StopExecution of a batch inside its Map state ends the
            # execution FAILED with the error in flight (States.Runtime; or the record's conditional
            # write failing because the terminate had already ended the record) instead of ABORTED;
            # the record, ended by the terminate itself, is TERMINATED. In AWS: ExecutionAborted.
            expected = {"TERMINATED"}
            moto_quirks += 1
        elif sfn == "ExecutionFailed":
            expected = {"ERROR"}
        else:
            expected = set()
        check(
            "record state agrees with Step Functions",
            state in expected,
            f"{guid} ({world.kind.get(guid)}): record {state}, execution {sfn} {error or ''} {last.get('cause', '')}",
        )

    # 7. no end left access behind: once every execution has ended, nobody of the run is in a role's group
    def left_in_groups() -> list[str]:
        return [
            f"{member} in {group}"
            for group in ("elevate-developer", "elevate-admin")
            for member in group_members(local_server, group)
            if member in users
        ]

    with contextlib.suppress(AssertionError):  # what is left is reported below
        wait_for(lambda: not left_in_groups(), timeout=SETTLE_TIMEOUT_SECONDS)
    for left in left_in_groups():
        check("no membership outlives its elevation", False, left)
    check("no membership outlives its elevation", True, "")

    # 8. the races: cancel+terminate at once has exactly one winner; a double click succeeds once
    for guid, replies in world.race_cancel_terminate:
        statuses = sorted(reply.status for reply in replies)
        check("cancel+terminate: one 200, one 409", statuses == [200, 409], f"{guid}: {statuses} {replies}")
        if guid in survivors and statuses == [200, 409]:
            winner = "STOPPED" if replies[0].status == 200 else "TERMINATED"
            check("cancel+terminate: the winner's state", survivors[guid]["state"] == winner, guid)
    for guid, replies in world.double_clicks:
        statuses = sorted(reply.status for reply in replies)
        check("double click: one 200, one 409", statuses == [200, 409], f"{guid}: {statuses} {replies}")

    # -- the counts ---------------------------------------------------------------------------------
    by_operation = Counter((e.operation, e.reply.status) for e in exchanges)
    print(f"\nload: {len(exchanges)} requests, {len(world.owner)} executions created, load phase {load_seconds:.1f}s")
    for (operation, status), count in sorted(by_operation.items()):
        print(f"  {operation:<12} {status}: {count}")
    print(f"  cancel+terminate races: {len(world.race_cancel_terminate)}, double clicks: {len(world.double_clicks)}")
    print(f"  decision link announced after: {', '.join(f'{wait:.1f}s' for wait in world.signal_waits)}")
    print(f"  surviving records: {len(survivors)}, moto States.Runtime terminations: {moto_quirks}")
    print(f"  record STOPPED but the execution still waits (cancel lost): {lost_cancels}")
    print(f"  final states: {dict(Counter(body['state'] for body in survivors.values()))}")
    print("invariant checks:")
    for name, count in sorted(checks.items()):
        failed = sum(1 for violation in violations if violation.startswith(name + ":"))
        print(f"  {name:<55} {count:>5} checked, {failed} failed")
    print(f"total {time.monotonic() - began:.1f}s")
    assert not violations, "\n".join(violations[:40])
