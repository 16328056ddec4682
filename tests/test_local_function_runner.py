"""The function runner (``toolkit.functions``, the local server's) keeps each invocation's event its own.

Powertools keeps the event being handled on a class attribute shared by every resolver in the
process (``BaseRouter.current_event``). Here function A reads its body, lets function B be
invoked from another thread while A is still handling its event, then reads its body again.
With a runner that let B run meanwhile (as one lock per function did), A's second read was B's
body. The wait for B is bounded: a runner that keeps B out until A is done makes A go on after
it.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from toolkit.functions import LambdaFunction

pytestmark = pytest.mark.concurrency
B_MAY_RUN_SECONDS = 1.0


def _event(path: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": f"POST {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "http": {"method": "POST", "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
            "stage": "$default",
            "requestId": path,
        },
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def _function(name: str, handler: Any) -> LambdaFunction:
    return LambdaFunction(name, name, handler, memory_mb=128, timeout_s=3, account_id="123456789012")


def test_an_invocation_keeps_its_own_event_while_another_function_is_invoked() -> None:
    a_is_handling = threading.Event()
    b_done = threading.Event()
    app_a, app_b = APIGatewayHttpResolver(), APIGatewayHttpResolver()

    @app_a.post("/a")
    def handle_a() -> dict[str, Any]:
        first = app_a.current_event.json_body
        a_is_handling.set()
        b_done.wait(timeout=B_MAY_RUN_SECONDS)
        return {"first": first, "second": app_a.current_event.json_body}

    @app_b.post("/b")
    def handle_b() -> dict[str, Any]:
        return {"seen": app_b.current_event.json_body}

    function_a = _function("A", app_a.resolve)
    function_b = _function("B", app_b.resolve)
    results: dict[str, Any] = {}

    def invoke_a() -> None:
        results["a"] = function_a.invoke(_event("/a", {"from": "a"}))

    def invoke_b() -> None:
        a_is_handling.wait(timeout=10)
        results["b"] = function_b.invoke(_event("/b", {"from": "b"}))
        b_done.set()

    threads = [threading.Thread(target=invoke_a), threading.Thread(target=invoke_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert json.loads(results["a"]["body"]) == {"first": {"from": "a"}, "second": {"from": "a"}}
    assert json.loads(results["b"]["body"]) == {"seen": {"from": "b"}}
