"""Shared machinery of the benchmarks: the stack of template.yaml built by the toolkit
(``toolkit.aws``) in moto, API Gateway HTTP API v2.0 events for the functions the toolkit
loads, an AWS API call counter, and table printing. Stdlib plus what is in the venv."""

from __future__ import annotations

import base64
import json
import os
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from botocore.client import BaseClient

from local.auth import subject_of
from toolkit import moto_fixes
from toolkit.aws import EmbeddedAws, quiet_moto_logs
from toolkit.functions import FUNCTIONS_DIR, LambdaContext, clear_warm_caches, function_module
from toolkit.template import ROOT, STATE_MACHINE_TYPES, Resolver, function_environment

REGION = "us-east-1"
ACCOUNT = "123456789012"
# The template's parameters without a Default; the functions never read them.
ISSUER = "https://issuer.example.test"
BENCH_PARAMETERS = {"JwtIssuer": ISSUER, "JwtAudience": ["execution-api"]}

# Everything the suite needs before anything imports boto3 or the layer.
BASE_ENV = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_DEV": "false",
}


def apply_base_env() -> None:
    for name, value in BASE_ENV.items():
        os.environ.setdefault(name, value)
    # Keep the printed tables readable: the functions log at INFO per the template.
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"


# --------------------------------------------------------------------------- embedded AWS


@dataclass
class Stack:
    """What the toolkit built, by template logical id, and the functions' environment."""

    resolver: Resolver
    env: dict[str, str]

    @property
    def template(self) -> dict[str, Any]:
        return self.resolver.template

    @property
    def tables(self) -> dict[str, str]:
        return self.resolver.refs_of_type("AWS::DynamoDB::Table")

    @property
    def state_machines(self) -> dict[str, str]:
        return self.resolver.refs_of_type(*STATE_MACHINE_TYPES)

    @property
    def table(self) -> str:
        return self.tables["ExecutionsTable"]

    def workflow_arn(self, workflow: str) -> str:
        return json.loads(self.env["STATE_MACHINES"])[workflow]


@contextmanager
def embedded_aws() -> Iterator[Stack]:
    """The toolkit's embedded AWS with the stack built, the Globals' environment set (quiet
    logs, no tracing) and no warm caches of an earlier stack; moto's scans sped up (same
    results, see ``toolkit.moto_fixes.speed_up_scans``)."""
    apply_base_env()
    quiet_moto_logs()
    moto_fixes.speed_up_scans()
    with EmbeddedAws() as aws:
        resolver = aws.deploy(BENCH_PARAMETERS)
        env = function_environment(resolver.template, resolver)
        # The ConfigLayer's files are the repository's config/ (Lambda mounts them at /opt).
        env |= {
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "CONFIG_DIR": str(ROOT / "config"),
        }
        os.environ.update(env)
        clear_warm_caches()
        yield Stack(resolver, env)
    clear_warm_caches()


# --------------------------------------------------------------------------- AWS call counter


@dataclass
class Call:
    service: str
    operation: str
    params: dict[str, Any]
    response: dict[str, Any] | None = None
    seconds: float = 0.0


class CallRecorder:
    """Every AWS API call made by the *calling* thread while recording.

    Implemented by wrapping ``botocore.client.BaseClient._make_api_call`` (where botocore emits
    ``before-call.<service>.<operation>``): a hook on the default boto3 session would miss the
    Secrets Manager client that Powertools Parameters builds from its own ``boto3.Session()``.
    moto runs state machines in daemon threads whose service integrations call AWS too; those
    calls are not the endpoint's, so only the recording thread's calls are kept.
    """

    _installed = False
    _lock = threading.Lock()
    _active: list[CallRecorder] = []  # noqa: RUF012

    def __init__(self, all_threads: bool = False) -> None:
        self.calls: list[Call] = []
        self.thread_id = threading.get_ident()
        self.all_threads = all_threads

    @classmethod
    def install(cls) -> None:
        with cls._lock:
            if cls._installed:
                return
            original = BaseClient._make_api_call

            def _make_api_call(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
                service = client.meta.service_model.service_name
                me = threading.get_ident()
                recorders = [r for r in cls._active if r.all_threads or r.thread_id == me]
                call = Call(service, operation_name, dict(api_params))
                for recorder in recorders:
                    recorder.calls.append(call)
                started = time.perf_counter()
                try:
                    response = original(client, operation_name, api_params)
                finally:
                    call.seconds = time.perf_counter() - started
                call.response = response
                return response

            BaseClient._make_api_call = _make_api_call  # type: ignore[method-assign]
            cls._installed = True

    def __enter__(self) -> CallRecorder:
        self.install()
        self.thread_id = threading.get_ident()
        self._active.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        self._active.remove(self)

    @property
    def operations(self) -> list[str]:
        return [call.operation for call in self.calls]


# --------------------------------------------------------------------------- Lambda functions


def function_dirs() -> list[str]:
    return sorted(p.parent.name for p in FUNCTIONS_DIR.glob("*/app.py"))


def call_handler(directory: str, event: dict[str, Any]) -> Any:
    """``functions/<directory>``'s ``lambda_handler``, loaded by the toolkit, with a Lambda context."""
    return function_module(directory).lambda_handler(event, LambdaContext("bench"))


def owner_of(user: str) -> str:
    """The canonical identity (``<iss>#<sub>``) the API gives ``user``'s requests."""
    return f"{ISSUER}#{subject_of(user)}"


def http_event(
    method: str,
    path: str,
    *,
    route: str | None = None,
    path_params: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    body: Any = None,
    user: str = "alice@example.com",
    groups: list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API payload v2.0 event, as the JWT authorizer passes it."""
    claims: dict[str, Any] = {"iss": ISSUER, "sub": subject_of(user), "email": user, "email_verified": "true"}
    if groups:
        claims["execution_api_groups"] = json.dumps(groups)
    all_headers = {"content-type": "application/json", "host": "api.example.com", **(headers or {})}
    now = time.time()
    return {
        "version": "2.0",
        "routeKey": f"{method} {route or path}",
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
        "headers": all_headers,
        "queryStringParameters": query or None,
        "pathParameters": path_params or None,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "bench",
            "authorizer": {"jwt": {"claims": claims, "scopes": None}},
            "domainName": "api.example.com",
            "domainPrefix": "api",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "bench",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": f"{method} {route or path}",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def invoke(directory: str, event: dict[str, Any]) -> tuple[int, Any]:
    """Runs the function's ``lambda_handler``; returns (status code, decoded JSON body)."""
    response = call_handler(directory, event)
    body = response.get("body")
    if body and response.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    try:
        decoded = json.loads(body) if body else None
    except ValueError:
        decoded = body
    return int(response.get("statusCode", 0)), decoded


# --------------------------------------------------------------------------- output


def fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value != value:  # NaN
            return "n/a"
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def print_table(title: str, headers: list[str], rows: list[list[Any]], note: str | None = None) -> None:
    cells = [[fmt(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], len(c))
    print(f"\n== {title}")
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    if note:
        for line in note.strip().splitlines():
            print(f"   {line}")
    sys.stdout.flush()


def median(values: list[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    if not n:
        return float("nan")
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]
