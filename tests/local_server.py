"""The local server (``make run``'s) as a subprocess for the end-to-end and CLI tests, and a tiny
JSON client. The fixtures that start it are in ``tests/conftest.py``.

``serving`` runs ``python -m local --host 127.0.0.1 --port <port> --quiet`` with its own signing
key (``LOCAL_JWT_KEY_FILE``), decision-link keyring (``LOCAL_SECRETS_FILE``) and webhook outbox
(``LOCAL_OUTBOX_FILE``), and yields the base URL (``.../api/v1``). Everything talks to 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
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
    name: str | None = None  # who the token is for, when a test needs to say

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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def log_tail(path: Path) -> str:
    return path.read_text(errors="replace")[-4000:] if path.exists() else ""


@contextlib.contextmanager
def serving(
    jwt_key_file: Path,
    signal_keyring: dict[str, str],
    outbox_file: Path,
    server_dir: Path,
    issuer: str,
    config_dir: Path,
    port: int | None = None,
) -> Iterator[str]:
    """Runs the local server exactly as ``make run`` does; yields ``http://127.0.0.1:<port>/api/v1``."""
    port = port or free_port()
    log_path = server_dir / "server.log"
    secrets_file = server_dir / "secrets.json"
    secrets_file.write_text(json.dumps({"SignalKeySecret": signal_keyring}))
    environment = {
        **os.environ,
        "LOCAL_JWT_KEY_FILE": str(jwt_key_file),
        "LOCAL_SECRETS_FILE": str(secrets_file),
        "LOCAL_OUTBOX_FILE": str(outbox_file),
        "LOCAL_ISSUER": issuer,
        "LOCAL_CONFIG_DIR": str(config_dir),
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "local", "--host", "127.0.0.1", "--port", str(port), "--quiet"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/api/v1"
    try:
        wait_until_serving(process, base_url, log_path)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def wait_until_serving(process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    """Until an unauthenticated request gets the authorizer's 401: routes, authorizer and all."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    probe = ApiClient(base_url)
    while True:
        if process.poll() is not None:
            pytest.fail(f"local server exited with {process.returncode}:\n{log_tail(log_path)}")
        try:
            if probe.get("/executions").status == 401:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"local server not serving after {STARTUP_TIMEOUT_SECONDS}s:\n{log_tail(log_path)}")
        time.sleep(0.1)
