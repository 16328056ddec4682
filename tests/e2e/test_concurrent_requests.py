"""Concurrent requests to different functions never see each other's event.

Every function of the local server runs in one process. Powertools keeps the event being
handled on its resolver class (``BaseRouter.current_event``), which is sound in Lambda, where a
process handles one event at a time, but not for two functions invoked at once in one process:
one request's handler would read another's body, headers or caller. Each round below releases
POSTs with distinct bodies, idempotency keys and callers together with lists and reads by other
users, then checks every reply against its own request.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e.conftest import ApiClient, Reply, a_user

pytestmark = [pytest.mark.e2e, pytest.mark.concurrency]

ROUNDS = 8
POSTS_PER_ROUND = 8
READS_PER_ROUND = 8


def _post(client: ApiClient, marker: str) -> Reply:
    body = {"workflow": "batch", "input": {"items": [marker]}, "sessionId": f"s-{marker}"}
    return client.post("/execution", body, headers={"Idempotency-Key": f"key-{marker}"})


def test_concurrent_requests_each_see_only_their_own_event(api: Callable[..., ApiClient]) -> None:
    users = [a_user() for _ in range(4)]
    clients = {user: api(user) for user in users}
    seed = clients[users[0]].post("/execution", {"workflow": "batch", "input": {"items": ["seed"]}})
    assert seed.status == 201, seed
    sent: list[tuple[str, str, Reply]] = []  # (user, marker, reply)
    reads: list[tuple[str, str, Reply]] = []  # (user, what, reply)
    lock = threading.Lock()

    def round_of_requests(number: int) -> None:
        barrier = threading.Barrier(POSTS_PER_ROUND + READS_PER_ROUND)

        def poster(index: int) -> None:
            user = users[index % len(users)]
            marker = f"{number}-{index}-{uuid.uuid4().hex[:8]}"
            barrier.wait(timeout=30)
            reply = _post(clients[user], marker)
            with lock:
                sent.append((user, marker, reply))

        def reader(index: int) -> None:
            user = users[(index + 1) % len(users)]
            what = "list" if index % 2 else "get"
            barrier.wait(timeout=30)
            if what == "list":
                reply = clients[user].get("/executions", query={"limit": 5})
            else:
                reply = clients[user].get(f"/executions/{seed.body['run_id']}")
            with lock:
                reads.append((user, what, reply))

        jobs: list[Callable[[], None]] = [lambda i=i: poster(i) for i in range(POSTS_PER_ROUND)]
        jobs += [lambda i=i: reader(i) for i in range(READS_PER_ROUND)]
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            for future in [pool.submit(job) for job in jobs]:
                future.result()

    for number in range(ROUNDS):
        round_of_requests(number)

    problems: list[str] = []
    run_ids: dict[str, str] = {}
    for user, marker, reply in sent:
        if reply.status != 201:
            problems.append(f"POST by {user} with {marker} -> {reply.status} {reply.body}")
            continue
        run_id = reply.body["run_id"]
        if run_id in run_ids:
            problems.append(f"POST with {marker} got the run_id of the POST with {run_ids[run_id]}")
        run_ids[run_id] = marker
        record = clients[user].get(f"/executions/{run_id}")
        if record.status != 200:
            problems.append(f"{user} reading their {marker} -> {record.status} {record.body}")
            continue
        got: dict[str, Any] = record.body
        if got["input"] != {"items": [marker]} or got["sessionId"] != f"s-{marker}" or got["user"] != user:
            problems.append(f"sent {marker} as {user}, stored {got['input']} {got['sessionId']} as {got['user']}")
    for user, what, reply in reads:
        if what == "list":
            strangers = {row["user"] for row in (reply.body or {}).get("executions", [])} - {user}
            if reply.status != 200 or strangers:
                problems.append(f"{user} list -> {reply.status}, rows of {strangers or reply.body}")
        elif reply.status != 404:  # the seed is users[0]'s: anyone else gets 404, users[0] gets it
            if reply.status != 200 or user != users[0] or reply.body["guid"] != seed.body["run_id"]:
                problems.append(f"{user} get seed -> {reply.status} {reply.body}")
        elif user == users[0]:
            problems.append(f"{user} get own seed -> 404")
    assert len(sent) == ROUNDS * POSTS_PER_ROUND
    assert not problems, "\n".join(problems[:20])
