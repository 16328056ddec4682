"""End-to-end fixtures: the local server (``make run``'s) as a subprocess, and a tiny client.

``local_server`` starts ``python -m local --host 127.0.0.1 --port <free> --quiet`` once per
session with its own signing key (``LOCAL_JWT_KEY_FILE``), its own decision-link keyring
(``LOCAL_SECRETS_FILE``, see ``signal_keyring``) and its own webhook outbox (``LOCAL_OUTBOX_FILE``,
see ``outbox_file``), and yields the base URL (``.../api/v1``).
``api(user, groups=None)`` gives a client whose requests carry a token minted by ``local.token``
with that key. Everything talks to 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from local.token import mint_token
from toolkit.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_SECONDS = 60
REQUEST_TIMEOUT_SECONDS = 30


class Reply(NamedTuple):
    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class ApiClient:
    """JSON in, ``Reply(status, json_body, headers)`` out; ``token`` None sends no Authorization."""

    base_url: str
    token: str | None = None

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        url = urllib.parse.urlsplit(self.base_url)
        target = url.path + path
        if query:
            target += "?" + urllib.parse.urlencode(query, doseq=True)
        sent = {"accept": "application/json", **(headers or {})}
        if self.token is not None:
            sent.setdefault("authorization", f"Bearer {self.token}")
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            sent.setdefault("content-type", "application/json")
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=REQUEST_TIMEOUT_SECONDS)
        try:
            connection.request(method, target, body=payload, headers=sent)
            response = connection.getresponse()
            raw = response.read()
            reply_headers = {name.lower(): value for name, value in response.getheaders()}
            status = response.status
        finally:
            connection.close()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return Reply(status, parsed, reply_headers)

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Reply:
        return self.request("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> Reply:
        return self.request("PUT", path, body, **kwargs)

    def delete(self, path: str, body: Any = None, **kwargs: Any) -> Reply:
        return self.request("DELETE", path, body, **kwargs)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def jwt_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A signing key for this session only (created by the first token or by the server)."""
    return tmp_path_factory.mktemp("local-idp") / "jwt-signing-key.pem"


@pytest.fixture(scope="session")
def signal_keyring() -> dict[str, str]:
    """The keyring the session's server seals decision links with (its ``SignalKeySecret``)."""
    return {"current": "k1", "k1": secrets.token_urlsafe(48)}


@pytest.fixture(scope="session")
def outbox_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the session's server appends each decision-link webhook post, one JSON line each."""
    return tmp_path_factory.mktemp("local-outbox") / "outbox.jsonl"


def _log_tail(path: Path) -> str:
    return path.read_text(errors="replace")[-4000:] if path.exists() else ""


@pytest.fixture(scope="session")
def shared_port() -> int:
    return _free_port()


@pytest.fixture(scope="session")
def local_issuer(shared_port: int) -> str:
    """The issuer of the session's tokens: the shared server's identity provider. Servers of their
    own (``isolated_local_server``) take the same issuer, so that one token works on each."""
    return f"http://127.0.0.1:{shared_port}/local-idp"


@contextlib.contextmanager
def _serving(
    jwt_key_file: Path,
    signal_keyring: dict[str, str],
    outbox_file: Path,
    server_dir: Path,
    issuer: str,
    port: int | None = None,
) -> Iterator[str]:
    """Runs the local server exactly as ``make run`` does; yields ``http://127.0.0.1:<port>/api/v1``."""
    port = port or _free_port()
    log_path = server_dir / "server.log"
    secrets_file = server_dir / "secrets.json"
    secrets_file.write_text(json.dumps({"SignalKeySecret": signal_keyring}))
    environment = {
        **os.environ,
        "LOCAL_JWT_KEY_FILE": str(jwt_key_file),
        "LOCAL_SECRETS_FILE": str(secrets_file),
        "LOCAL_OUTBOX_FILE": str(outbox_file),
        "LOCAL_ISSUER": issuer,
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "local", "--host", "127.0.0.1", "--port", str(port), "--quiet"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/api/v1"
    try:
        _wait_until_serving(process, base_url, log_path)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="session")
def local_server(
    jwt_key_file: Path,
    signal_keyring: dict[str, str],
    outbox_file: Path,
    tmp_path_factory: pytest.TempPathFactory,
    local_issuer: str,
    shared_port: int,
) -> Iterator[str]:
    """The server the e2e tests share."""
    server_dir = tmp_path_factory.mktemp("local-server")
    with _serving(jwt_key_file, signal_keyring, outbox_file, server_dir, local_issuer, shared_port) as url:
        yield url


@pytest.fixture
def isolated_local_server(
    jwt_key_file: Path, signal_keyring: dict[str, str], outbox_file: Path, tmp_path: Path, local_issuer: str
) -> Iterator[str]:
    """A server of its own, for a test whose load must not leave the shared server busy."""
    with _serving(jwt_key_file, signal_keyring, outbox_file, tmp_path, local_issuer) as url:
        yield url


def _wait_until_serving(process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    """Until an unauthenticated request gets the authorizer's 401: routes, authorizer and all."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    probe = ApiClient(base_url)
    while True:
        if process.poll() is not None:
            pytest.fail(f"local server exited with {process.returncode}:\n{_log_tail(log_path)}")
        try:
            if probe.get("/executions").status == 401:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"local server not serving after {STARTUP_TIMEOUT_SECONDS}s:\n{_log_tail(log_path)}")
        time.sleep(0.1)


@pytest.fixture(scope="session")
def token_for(jwt_key_file: Path, local_issuer: str) -> Callable[..., str]:
    """``token_for(user, groups=None, email_verified=True)``: a token the session's servers accept."""

    def mint(user: str, groups: list[str] | None = None, email_verified: bool = True) -> str:
        return mint_token(user, groups, key_file=jwt_key_file, issuer=local_issuer, email_verified=email_verified)

    return mint


@pytest.fixture(scope="session")
def api(local_server: str, token_for: Callable[..., str]) -> Callable[..., ApiClient]:
    """``api(user, groups=None)``: a client authenticated as ``user``."""

    def client(user: str, groups: list[str] | None = None) -> ApiClient:
        return ApiClient(local_server, token_for(user, groups))

    return client


@pytest.fixture(scope="session")
def anonymous(local_server: str) -> Callable[[str | None], ApiClient]:
    """``anonymous(token)``: a client that sends exactly ``token`` as its bearer (None: no header)."""

    def client(token: str | None = None) -> ApiClient:
        return ApiClient(local_server, token)

    return client


def wait_for(condition: Callable[[], Any], *, timeout: float = 20.0, interval: float = 0.1) -> Any:
    """``wait_until`` with the slower pace of a server that works in background threads
    (executions, status-change events, streams)."""
    return wait_until(condition, timeout=timeout, interval=interval)


# -- helpers shared by the end-to-end tests ----------------------------------------------------------


def a_user() -> str:
    return f"user-{uuid.uuid4().hex[:10]}@example.com"


def start(client: ApiClient, workflow: str, workflow_input: dict) -> dict:
    status, body, _ = client.post("/execution", {"workflow": workflow, "input": workflow_input})
    assert status == 201, body
    return body


def record_state(client: ApiClient, guid: str) -> str:
    status, body, _ = client.get(f"/executions/{guid}")
    assert status == 200, body
    return body["state"]


def wait_for_state(client: ApiClient, guid: str, *states: str) -> dict:
    def ended() -> dict | None:
        status, body, _ = client.get(f"/executions/{guid}")
        assert status == 200, body
        return body if body["state"] in states else None

    return wait_for(ended)


def sfn_events(client: ApiClient, guid: str) -> list[str]:
    status, body, _ = client.get(f"/execution/{guid}")
    assert status == 200, body
    return [event["sfn_event_type"] for event in body["history"]]


def history(client: ApiClient, guid: str) -> list[dict]:
    status, body, _ = client.get(f"/execution/{guid}")
    assert status == 200, body
    return body["history"]


def elevation(approvers: list[str], **extra: Any) -> dict:
    """An input for the ``default`` (elevation) workflow."""
    return {"role": "developer", "provider": "aws", "reason": "e2e", "approvers": approvers, **extra}


def pending_signal(client: ApiClient, guid: str) -> dict | None:
    """The caller's pending decision for execution ``guid`` from ``GET /signals``, if any."""
    status, body, _ = client.get("/signals")
    assert status == 200, body
    return next((signal for signal in body["signals"] if signal["guid"] == guid), None)


def wait_for_signal(client: ApiClient, guid: str) -> dict:
    return wait_for(lambda: pending_signal(client, guid))


def follow(client: ApiClient, link: str) -> Reply:
    """Opens a decision link (``http://host:port/api/v1/execution/<id>/signal?input=...``) as ``client``."""
    url = urllib.parse.urlsplit(link)
    base_path = urllib.parse.urlsplit(client.base_url).path
    return client.get(url.path.removeprefix(base_path) + "?" + url.query)


def link_path(guid: str, token: str) -> str:
    """The signal path of execution ``guid`` carrying ``token``, relative to the API's base."""
    return f"/execution/{guid}/signal?input={urllib.parse.quote(token, safe='')}"


def token_of(link: str) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["input"][0]
