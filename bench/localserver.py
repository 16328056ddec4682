"""Section 5: throughput and latency of the local server (``python -m local``) over 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import median, percentile, print_table
from toolkit.template import ROOT

HOST = "127.0.0.1"
USER = "bench@example.com"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class Server:
    """The local server as a child process of ours (stopped by its own pid only)."""

    def __init__(self, workdir: Path) -> None:
        self.port = _free_port()
        self.env = dict(os.environ)
        # A throw-away signing key: nothing is written to the repository's .local/.
        self.env["LOCAL_JWT_KEY_FILE"] = str(workdir / "jwt-signing-key.pem")
        self.log = workdir / "server.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 90.0) -> float:
        started = time.perf_counter()
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "local", "--host", HOST, "--port", str(self.port), "--quiet"],
                cwd=str(ROOT),
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
                conn.request("GET", "/api/v1/executions")
                conn.getresponse().read()
                conn.close()
                return time.perf_counter() - started
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the server did not answer within {timeout:.0f} s: {self.log_tail()}")

    def log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-600:].strip()
        except OSError:
            return ""

    def token(self, user: str = USER) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "local.token", "--user", user, "--issuer", f"http://{HOST}:{self.port}/local-idp"],
            cwd=str(ROOT),
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"python -m local.token failed: {proc.stderr.strip()[-300:]}")
        return proc.stdout.strip().splitlines()[-1]

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def _request(
    conn: http.client.HTTPConnection, method: str, path: str, token: str, body: Any = None
) -> tuple[int, Any, bool]:
    headers = {"Authorization": f"Bearer {token}"}
    payload = None
    if body is not None:
        payload = json.dumps(body)
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=payload, headers=headers)
    response = conn.getresponse()
    data = response.read()
    closes = response.will_close
    try:
        decoded = json.loads(data) if data else None
    except ValueError:
        decoded = data[:200]
    return response.status, decoded, closes


def _load(
    port: int, token: str, paths: list[str], clients: int, max_requests: int, max_seconds: float
) -> dict[str, Any]:
    """``clients`` threads, each with one keep-alive HTTPConnection, until ``max_requests`` in
    all or ``max_seconds`` have passed (whichever first)."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []
    reconnects = [0]
    lock = threading.Lock()
    issued = [0]
    deadline = time.perf_counter() + max_seconds

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        n = index
        try:
            while time.perf_counter() < deadline:
                with lock:
                    if issued[0] >= max_requests:
                        return
                    issued[0] += 1
                path = paths[n % len(paths)]
                n += clients
                started = time.perf_counter()
                try:
                    status, _, closes = _request(conn, "GET", path, token)
                except (OSError, http.client.HTTPException) as error:
                    with lock:
                        errors.append(repr(error))
                    conn.close()
                    conn = http.client.HTTPConnection(HOST, port, timeout=30)
                    continue
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    statuses[status] = statuses.get(status, 0) + 1
                    if closes:
                        reconnects[0] += 1
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max_seconds + 60)
    wall = time.perf_counter() - started
    return {
        "clients": clients,
        "requests": len(latencies),
        "seconds": wall,
        "rps": len(latencies) / wall if wall else 0.0,
        "p50_ms": median(latencies) * 1000 if latencies else None,
        "p99_ms": percentile(latencies, 99) * 1000 if latencies else None,
        "max_ms": max(latencies) * 1000 if latencies else None,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": errors[:5],
        "error_count": len(errors),
        "server_closed_connection": reconnects[0],
    }


def _quickack_probe(port: int, token: str, path: str, n: int = 30) -> float | None:
    """Single-client p50 over a raw socket that re-arms TCP_QUICKACK before every recv (Linux):
    if it is far below http.client's, the latency is the client's delayed ACK meeting Nagle on a
    response written in two segments, not server work."""
    quickack = getattr(socket, "TCP_QUICKACK", None)
    if quickack is None:
        return None
    request = f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
    latencies = []
    with socket.create_connection((HOST, port), timeout=30) as sock:
        for _ in range(n):
            started = time.perf_counter()
            sock.sendall(request)
            buffer = b""
            while True:
                sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)
                chunk = sock.recv(65536)
                if not chunk:
                    return None
                buffer += chunk
                head, sep, rest = buffer.partition(b"\r\n\r\n")
                if not sep:
                    continue
                lengths = [
                    line.split(b":", 1)[1]
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ]
                if lengths and len(rest) >= int(lengths[0]):
                    break
            latencies.append(time.perf_counter() - started)
    return median(latencies) * 1000


def run(quick: bool = False) -> dict[str, Any]:
    if not (ROOT / "local" / "__main__.py").exists():
        message = "SKIPPED: local/ has no __main__.py yet (python -m local is not ready)"
        print(f"\n== 5. Local server throughput\n   {message}")
        return {"skipped": message}
    max_requests, max_seconds = (150, 8.0) if quick else (600, 20.0)
    with tempfile.TemporaryDirectory(prefix="bench-local-") as tmp:
        server = Server(Path(tmp))
        try:
            startup = server.start()
            token = server.token()
            conn = http.client.HTTPConnection(HOST, server.port, timeout=30)
            ids: list[str] = []
            create_latencies: list[float] = []
            for i in range(20):
                started = time.perf_counter()
                status, body, _ = _request(
                    conn,
                    "POST",
                    "/api/v1/execution",
                    token,
                    {"workflow": "batch", "input": {"items": [f"item-{i}"]}, "sessionId": "bench"},
                )
                create_latencies.append(time.perf_counter() - started)
                if status != 201:
                    raise RuntimeError(f"POST /api/v1/execution answered {status}: {body}")
                ids.append(body["run_id"])
            conn.close()
            results: dict[str, Any] = {
                "port": server.port,
                "startup_seconds": startup,
                "created": len(ids),
                "create_p50_ms": median(create_latencies) * 1000,
                "max_requests": max_requests,
                "max_seconds": max_seconds,
                "client": "Python threads, one http.client.HTTPConnection (keep-alive) each, in the bench process",
                "endpoints": {},
            }
            endpoints = {
                "GET /executions/{id}": [f"/api/v1/executions/{guid}" for guid in ids],
                "GET /executions": ["/api/v1/executions"],
            }
            for name, paths in endpoints.items():
                results["endpoints"][name] = [
                    _load(server.port, token, paths, clients, max_requests, max_seconds) for clients in (1, 4, 16)
                ]
            results["quickack_p50_ms"] = _quickack_probe(server.port, token, endpoints["GET /executions/{id}"][0])
        except Exception as error:  # noqa: BLE001
            message = f"SKIPPED: the local server could not be benchmarked: {error}"
            print(f"\n== 5. Local server throughput\n   {message}")
            return {"skipped": message, "server_log": server.log_tail()}
        finally:
            server.stop()
    rows = []
    for name, runs in results["endpoints"].items():
        for entry in runs:
            rows.append(
                [
                    name,
                    entry["clients"],
                    entry["requests"],
                    entry["rps"],
                    entry["p50_ms"],
                    entry["p99_ms"],
                    " ".join(f"{k}x{v}" for k, v in entry["statuses"].items()),
                    entry["error_count"],
                    entry["server_closed_connection"],
                ]
            )
    print_table(
        "5. Local server (python -m local) over 127.0.0.1",
        ["endpoint", "clients", "requests", "req/s", "p50 ms", "p99 ms", "HTTP", "errors", "conn closed"],
        rows,
        note=(
            f"{results['client']}; bounded at {max_requests} requests or {max_seconds:.0f} s per row.\n"
            f"Server start {results['startup_seconds']:.1f} s; {results['created']} batch executions created first "
            f"(POST p50 {results['create_p50_ms']:.0f} ms). GET /executions lists the caller's {len(ids)} (limit 12).\n"
            "Server and clients share the machine's 2 cores; `conn closed` counts responses after which the "
            "server\nclosed the keep-alive connection (0 = keep-alive honoured)."
        ),
    )
    probe = results.get("quickack_p50_ms")
    single = results["endpoints"]["GET /executions/{id}"][0]["p50_ms"]
    if probe is not None and single:
        print(f"   probe: GET /executions/{{id}}, 1 client, raw socket with TCP_QUICKACK: p50 {probe:.1f} ms")
        if single > 2 * probe and single - probe > 20:
            results["why"] = (
                f"1-client p50 {single:.0f} ms vs {probe:.0f} ms when the client ACKs at once: the time is the "
                "client's delayed ACK (~40 ms) meeting Nagle's algorithm, because local/server.py's "
                "_RequestHandler flushes the headers (end_headers) and then writes the body in a second "
                "segment on a socket without TCP_NODELAY; setting disable_nagle_algorithm = True on the "
                "handler (or writing headers and body in one send) removes it"
            )
            print(f"   WHY: {results['why']}")
    return results
