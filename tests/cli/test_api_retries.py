"""The client's reads ride out throttling and passing gateway errors; its writes are never
repeated. The server is httpx's in-process transport: the local server never answers 503."""

from __future__ import annotations

import httpx
import pytest

from execution_api_cli import api as api_module
from execution_api_cli.api import READ_ATTEMPTS, Api
from execution_api_cli.errors import ApiError

RECORD = {"guid": "g", "state": "FINISHED"}


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The pauses the client takes between tries (not slept here)."""
    taken: list[float] = []
    monkeypatch.setattr(api_module.time, "sleep", taken.append)
    return taken


def client(*answers: httpx.Response) -> tuple[Api, list[httpx.Request]]:
    """An ``Api`` whose server gives ``answers`` in turn, and the requests it received."""
    received: list[httpx.Request] = []
    replies = iter(answers)

    def serve(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return next(replies)

    return Api("https://api.example.test/api/v1", lambda: "t", "hint", httpx.MockTransport(serve)), received


def test_a_read_is_tried_again_after_throttling_and_a_gateway_error(pauses: list[float]) -> None:
    api, received = client(
        httpx.Response(429, headers={"retry-after": "2"}, json={"message": "Too Many Requests"}),
        httpx.Response(503, json={"message": "Service Unavailable"}),
        httpx.Response(200, json=RECORD),
    )

    assert api.get_record("g") == RECORD
    assert len(received) == 3
    assert pauses == [2.0, 1.0]  # the server's Retry-After, then the doubling pause


def test_a_read_gives_up_after_its_attempts_with_the_apis_message(pauses: list[float]) -> None:
    api, received = client(*[httpx.Response(503, json={"message": "Service Unavailable"})] * READ_ATTEMPTS)

    with pytest.raises(ApiError) as raised:
        api.get_record("g")

    assert len(received) == READ_ATTEMPTS
    assert raised.value.status == 503
    assert "Service Unavailable (HTTP 503)" in str(raised.value)


def test_a_write_is_never_repeated(pauses: list[float]) -> None:
    api, received = client(httpx.Response(503, json={"message": "Service Unavailable"}))

    with pytest.raises(ApiError):
        api.cancel("g")

    assert len(received) == 1
    assert pauses == []


def test_a_client_error_is_not_tried_again(pauses: list[float]) -> None:
    api, received = client(httpx.Response(404, json={"message": "Execution not found"}))

    with pytest.raises(ApiError):
        api.get_record("g")

    assert len(received) == 1
