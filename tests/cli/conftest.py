"""Running ``execapi`` against the session's local server: in-process with click's runner
(``execapi(*args, user=...)``), or as a subprocess where it must listen or stream
(``execapi_process``). Every test gets its own configuration and cache directories: the real home
is never read or written."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest
from click.testing import CliRunner, Result

from execution_api_cli.main import cli

LINE_TIMEOUT_SECONDS = 30


@pytest.fixture(autouse=True)
def cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``$XDG_CONFIG_HOME`` and ``$XDG_CACHE_HOME`` under the test's own directory; no ``EXECAPI_*``
    or ``COLUMNS`` from the environment the tests run in."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name in [name for name in os.environ if name.startswith("EXECAPI_")] + ["COLUMNS"]:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def execapi(local_server: str, token_for: Callable[..., str]) -> Callable[..., Result]:
    """``execapi(*args, user=None, groups=None, input=None, env=None)``: runs the command in-process
    against the session's server (``EXECAPI_BASE_URL``; ``env={"EXECAPI_BASE_URL": None}`` leaves it
    to the profile); with ``user``, as that user (``EXECAPI_TOKEN``)."""

    def run(
        *args: str,
        user: str | None = None,
        groups: list[str] | None = None,
        input: str | None = None,
        env: dict[str, str | None] | None = None,
    ) -> Result:
        environment: dict[str, str | None] = {"EXECAPI_BASE_URL": local_server, **(env or {})}
        if user:
            environment["EXECAPI_TOKEN"] = token_for(user, groups)
        return CliRunner().invoke(cli, list(args), input=input, env=environment, prog_name="execapi")

    return run


class LineReader:
    """Lines of a subprocess's pipe as they come, with a bounded wait for each."""

    def __init__(self, pipe: IO[str]) -> None:
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, args=(pipe,), daemon=True).start()

    def _pump(self, pipe: IO[str]) -> None:
        for line in pipe:
            self._lines.put(line)
        self._lines.put(None)

    def next_line(self, matching: Callable[[str], bool] = lambda line: True) -> str:
        """The next line for which ``matching`` is true (fails the test at the end of the output)."""
        while True:
            try:
                line = self._lines.get(timeout=LINE_TIMEOUT_SECONDS)
            except queue.Empty:
                pytest.fail(f"no matching line within {LINE_TIMEOUT_SECONDS}s; so far: {self.seen}")
            if line is None:
                pytest.fail(f"the output ended without a matching line: {self.seen}")
            self.seen.append(line)
            if matching(line):
                return line

    def rest(self) -> list[str]:
        """Every remaining line, once the process has closed the pipe."""
        lines = []
        while (line := self._lines.get(timeout=LINE_TIMEOUT_SECONDS)) is not None:
            lines.append(line)
        self.seen.extend(lines)
        return lines


@pytest.fixture
def execapi_process() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """``execapi_process(*args, env=None)``: ``python -m execution_api_cli ...`` with the test's
    environment; stdout and stderr are pipes. Killed at the end of the test if still running."""
    started: list[subprocess.Popen[str]] = []

    def spawn(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "execution_api_cli", *args],
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        return process

    yield spawn
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
