"""Section 3: cold start: time to import each handler module in a fresh interpreter, and the
import plus a first invocation that is rejected before any AWS call (so that cost moved from
the import to the first request shows)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.common import BASE_ENV, function_dirs, http_event, median, print_table
from bench.runtime import runtime_python
from toolkit.functions import FUNCTIONS_DIR
from toolkit.template import ROOT

LAYER_DIR = ROOT / "layers" / "execution_api"

# What the import of a handler module may need from the environment (nothing is called).
FUNCTION_ENV = {
    "POWERTOOLS_SERVICE_NAME": "execution-api",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "POWERTOOLS_METRICS_NAMESPACE": "ExecutionApi",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "EXECUTIONS_TABLE": "bench-ExecutionsTable",
    "IDEMPOTENCY_TABLE": "bench-IdempotencyTable",
    "TASK_QUEUE": "execution-api-dev",
    "STATE_MACHINES": json.dumps(
        {
            "default": "arn:aws:states:us-east-1:123456789012:stateMachine:execution-api-dev-elevate",
            "batch": "arn:aws:states:us-east-1:123456789012:stateMachine:execution-api-dev-batch",
        }
    ),
    "CURSOR_SECRET_NAME": "bench-CursorSecret",
    "ADMIN_GROUP": "execution-admins",
    "GROUPS_CLAIM": "execution_api_groups",
}

# Full (generation 2) garbage collections cost tens of ms each; where one lands moves a ratio by
# about 0.1x, so their time during the import is reported beside it (``full_gc_ms``).
_FULL_GC = """
import gc, time
_gc = {"start": 0.0, "ms": 0.0}
def _full_gc(phase, info):
    if info["generation"] == 2:
        if phase == "start":
            _gc["start"] = time.perf_counter()
        else:
            _gc["ms"] += (time.perf_counter() - _gc["start"]) * 1000
gc.callbacks.append(_full_gc)
"""

_IMPORT_HANDLER = (
    _FULL_GC
    + """
import importlib.util, json, resource, sys, time
f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
t0 = time.perf_counter()
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
module = importlib.util.module_from_spec(spec)
sys.modules["app"] = module
spec.loader.exec_module(module)
t1 = time.perf_counter()
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0
full_gc_ms = _gc["ms"]
first = outcome = None
if len(sys.argv) > 2:
    class Context:
        function_name = "bench"
        function_version = "$LATEST"
        memory_limit_in_mb = 512
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
        aws_request_id = "00000000-0000-4000-8000-000000000000"
        log_group_name = "/aws/lambda/bench"
        log_stream_name = "bench"
        @staticmethod
        def get_remaining_time_in_millis():
            return 15000
    try:
        response = module.lambda_handler(json.loads(sys.argv[2]), Context())
        outcome = response.get("statusCode", response)
    except Exception as error:  # a rejected event may raise (e.g. a parser's validation error)
        outcome = type(error).__name__
    first = time.perf_counter() - t0
t2 = time.perf_counter()
from execution_api.infra.clients import dynamodb_client
dynamodb_client()
t3 = time.perf_counter()
both = (t1 - t0) + (t3 - t2)
print(json.dumps({
    "import": t1 - t0, "import_and_client": both, "import_and_first": first, "first_outcome": outcome,
    "full_gc_ms": full_gc_ms, "faults": faults,
}))
"""
)

_BARE_HANDLER = (
    _FULL_GC
    + """
import json, resource, time
f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
t0 = time.perf_counter()
import boto3
client = boto3.client("dynamodb")
def lambda_handler(event, context):
    return {"statusCode": 200}
t1 = time.perf_counter()
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0
full_gc_ms = _gc["ms"]
lambda_handler({}, None)
t2 = time.perf_counter()
print(json.dumps({
    "import": t1 - t0, "import_and_client": t1 - t0, "import_and_first": t2 - t0, "full_gc_ms": full_gc_ms,
    "faults": faults,
}))
"""
)

# A first invocation per function that each function rejects before any AWS call: HTTP requests
# without the authorizer's claims (401, after the request validation), an empty stream batch,
# an EventBridge event that does not parse. None: no such event (reconcile always calls AWS).
_GUID = "00000000-0000-4000-8000-000000000001"
_FIRST_REQUESTS: dict[str, tuple[str, str, str, dict[str, Any]]] = {
    "cancel_execution": ("POST", f"/api/v1/execution/{_GUID}/cancel", "/api/v1/execution/{id}/cancel", {}),
    "delete_execution": ("DELETE", f"/api/v1/executions/{_GUID}", "/api/v1/executions/{id}", {}),
    "delete_executions": ("DELETE", "/api/v1/executions", "/api/v1/executions", {"body": {"executionIds": [_GUID]}}),
    "describe_execution": ("GET", f"/api/v1/execution/{_GUID}", "/api/v1/execution/{id}", {}),
    "get_execution": ("GET", f"/api/v1/executions/{_GUID}", "/api/v1/executions/{id}", {}),
    "list_executions": ("GET", "/api/v1/executions", "/api/v1/executions", {"query": {"limit": "5"}}),
    "list_signals": ("GET", "/api/v1/signals", "/api/v1/signals", {}),
    "signal_execution": (
        "GET",
        f"/api/v1/execution/{_GUID}/signal",
        "/api/v1/execution/{id}/signal",
        {"query": {"input": "v1.k.token"}},
    ),
    "start_execution": (
        "POST",
        "/api/v1/execution",
        "/api/v1/execution",
        {"body": {"workflow": "batch", "input": {"items": ["a"]}}},
    ),
    "terminate_execution": ("POST", f"/api/v1/execution/{_GUID}/terminate", "/api/v1/execution/{id}/terminate", {}),
    "update_execution": ("PUT", f"/api/v1/executions/{_GUID}", "/api/v1/executions/{id}", {"body": {"isPublic": True}}),
}
_FIRST_EVENTS: dict[str, dict[str, Any]] = {
    "notify_decision": {"Records": []},
    "sync_status": {"version": "0", "source": "aws.states", "detail": {"status": "SUCCEEDED"}},
}


def first_event(target: str) -> dict[str, Any] | None:
    if target in _FIRST_EVENTS:
        return _FIRST_EVENTS[target]
    if target not in _FIRST_REQUESTS:
        return None
    method, path, route, extra = _FIRST_REQUESTS[target]
    path_params = {"id": _GUID} if "{id}" in route else None
    event = http_event(method, path, route=route, path_params=path_params, **extra)
    del event["requestContext"]["authorizer"]
    return event


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(BASE_ENV)
    env.update(FUNCTION_ENV)
    # The layer as Lambda mounts it (/opt/python is on sys.path), ahead of the editable install.
    env["PYTHONPATH"] = os.pathsep.join([str(LAYER_DIR), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _run(
    python: str, code: str, args: list[str], env: dict[str, str], extra: list[str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [python, *(extra or []), "-c", code, *args],
        env=env,
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _one(python: str, target: str, env: dict[str, str]) -> dict[str, float]:
    if target == "<bare boto3 handler>":
        proc = _run(python, _BARE_HANDLER, [], env)
    else:
        event = first_event(target)
        args = [str(FUNCTIONS_DIR / target / "app.py")] + ([json.dumps(event)] if event is not None else [])
        proc = _run(python, _IMPORT_HANDLER, args, env)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def importtime_top(python: str, target: str, env: dict[str, str], top: int = 5) -> list[dict[str, Any]]:
    """``python -X importtime``: the import's time by top-level package (sum of the *self* time
    of every module under it, so nothing is counted twice)."""
    proc = _run(python, _IMPORT_HANDLER, [str(FUNCTIONS_DIR / target / "app.py")], env, extra=["-X", "importtime"])
    totals: dict[str, int] = defaultdict(int)
    modules: dict[str, int] = defaultdict(int)
    pattern = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|\s*(\S+)")
    for line in proc.stderr.splitlines():
        match = pattern.match(line)
        if match:
            package = match.group(3).split(".")[0]
            totals[package] += int(match.group(1))
            modules[package] += 1
    ranked = sorted(totals.items(), key=lambda kv: kv[1], reverse=True)[:top]
    all_us = sum(totals.values()) or 1
    return [
        {"module": name, "self_ms": us / 1000, "share": us / all_us, "modules": modules[name]} for name, us in ranked
    ]


def run(quick: bool = False) -> dict[str, Any]:
    runs = 5 if quick else 15
    env = _env()
    runtime = runtime_python()
    python = runtime.executable
    targets = ["<bare boto3 handler>", *function_dirs()]
    samples: dict[str, list[dict[str, float]]] = {t: [] for t in targets}
    errors: dict[str, str] = {}
    _one(python, "<bare boto3 handler>", env)  # let the OS page cache settle; not counted
    for _ in range(runs):  # round-robin, so that drift hits every target alike
        for target in targets:
            if target in errors:
                continue
            try:
                samples[target].append(_one(python, target, env))
            except Exception as error:  # noqa: BLE001
                errors[target] = repr(error)
    bare = median([s["import"] for s in samples["<bare boto3 handler>"]])
    bare_min = min(s["import"] for s in samples["<bare boto3 handler>"])
    results: dict[str, Any] = {
        "runs": runs,
        "python": runtime.version,
        "deployed_runtime": runtime.deployed,
        "bare_ms": bare * 1000,
        "functions": {},
        "errors": errors,
    }
    rows: list[list[Any]] = []
    for target in targets:
        if target in errors or not samples[target]:
            rows.append([target, *[None] * 9, "ERR " + errors.get(target, "")[:60]])
            continue
        imp = median([s["import"] for s in samples[target]])
        both = median([s["import_and_client"] for s in samples[target]])
        firsts = [s["import_and_first"] for s in samples[target] if s["import_and_first"] is not None]
        first = median(firsts) if firsts else None
        ratio = imp / bare
        met = ratio <= 1.5 if target != "<bare boto3 handler>" else None
        results["functions"][target] = {
            "import_ms": imp * 1000,
            "import_ms_runs": [s["import"] * 1000 for s in samples[target]],
            "import_and_client_ms": both * 1000,
            "ratio": ratio,
            "ratio_with_client": both / bare,
            "import_and_first_ms": None if first is None else first * 1000,
            "ratio_with_first": None if first is None else first / bare,
            "first_outcome": samples[target][-1].get("first_outcome"),
            "import_full_gc_ms": median([s["full_gc_ms"] for s in samples[target]]),
            "import_full_gc_ms_runs": [s["full_gc_ms"] for s in samples[target]],
            "ratio_of_minimums": min(s["import"] for s in samples[target]) / bare_min,
            "page_faults": median([s["faults"] for s in samples[target]]),
            "met": met,
        }
        rows.append(
            [
                target,
                imp * 1000,
                both * 1000,
                None if first is None else first * 1000,
                ratio,
                results["functions"][target]["ratio_of_minimums"],
                both / bare,
                None if first is None else first / bare,
                median([s["full_gc_ms"] for s in samples[target]]),
                results["functions"][target]["page_faults"],
                "-" if met is None else ("ok" if met else "MISS"),
            ]
        )
    print_table(
        f"3. Cold start: handler module import in a fresh interpreter (median of {runs}), {runtime.note}",
        [
            "function",
            "import ms",
            "+client ms",
            "+first ms",
            "ratio",
            "min ratio",
            "ratio+client",
            "ratio+first",
            "full gc ms",
            "faults",
            "<=1.5x",
        ],
        rows,
        note=(
            "ratio = import / bare handler (imports boto3 and creates a DynamoDB client). +client = the import "
            "plus\nthe layer's first DynamoDB client (every request needs one). +first = the import plus a first "
            "invocation\nrejected before any AWS call (HTTP: no authorizer claims, a 401 after request validation; "
            "notify_decision:\nno records; sync_status: an event that does not parse; reconcile: none), so cost "
            "moved from the import\nto the first request shows. The target is on the import. full gc ms = time in "
            "generation-2 garbage\ncollections during the import (one costs tens of ms). Bytecode caches are "
            "warm (Lambda's read-only\n/opt and /var/task have none unless the build ships them). min ratio = "
            "fastest import / fastest bare\nimport (the least disturbed runs: on a shared VM one import's wall time "
            "varies by ±30%). faults = minor\npage faults during the import (kernel time that instruction counts, "
            "3c, leave out)."
        ),
    )
    measured = {name: f["import_ms"] for name, f in results["functions"].items() if name != "<bare boto3 handler>"}
    if measured:
        slowest = max(measured, key=lambda name: measured[name])
        top = importtime_top(python, slowest, env)
        results["slowest"] = slowest
        results["importtime_top"] = top
        print_table(
            f"3b. python -X importtime, top-level modules of the slowest ({slowest})",
            ["package", "ms", "share", "modules"],
            [[t["module"], t["self_ms"], f"{100 * t['share']:.0f}%", t["modules"]] for t in top],
            note="sum of the self time of every module of the package (importtime inflates all times a little).",
        )
        misses = [name for name, f in results["functions"].items() if f["met"] is False]
        if misses:
            why = _why(top)
            results["why"] = why
            print(f"   MISS for {len(misses)} function(s): {why}")
    results["instructions"] = count_instructions(python, env)
    return results


def _why(top: list[dict[str, Any]]) -> str:
    heavy = [t for t in top if t["module"] not in ("boto3", "botocore", "s3transfer", "jmespath", "urllib3")]
    return "besides boto3/botocore the import spends: " + ", ".join(
        f"{t['module']} {t['self_ms']:.0f} ms" for t in heavy
    )


# Instructions, not seconds: the same count for the same code and inputs, whatever else the
# machine does (wall times of one import vary by ±30% on a shared 2-core VM). The interpreter's
# own start-up (``pass``) is subtracted from each count.
_NOTHING = "pass"
_IMPORT_ONLY = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
module = importlib.util.module_from_spec(spec)
sys.modules["app"] = module
spec.loader.exec_module(module)
"""
_BARE_ONLY = """
import boto3
client = boto3.client("dynamodb")
"""


def _instructions(python: str, code: str, args: list[str], env: dict[str, str]) -> int:
    proc = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", python, "-c", code, *args],
        env={**env, "PYTHONHASHSEED": "0"},
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    match = re.search(r"Collected : (\d+)", proc.stderr)
    if proc.returncode != 0 or not match:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}")
    return int(match.group(1))


def count_instructions(python: str, env: dict[str, str]) -> dict[str, Any]:
    """Section 3c: instructions of each import under callgrind, as a ratio to the bare handler's."""
    if shutil.which("valgrind") is None:
        print("\n== 3c. skipped: valgrind not installed (apt-get install valgrind)")
        return {"skipped": "valgrind not installed"}
    jobs = {"<startup>": (_NOTHING, []), "<bare boto3 handler>": (_BARE_ONLY, [])}
    jobs.update({name: (_IMPORT_ONLY, [str(FUNCTIONS_DIR / name / "app.py")]) for name in function_dirs()})
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        futures = {name: pool.submit(_instructions, python, code, args, env) for name, (code, args) in jobs.items()}
        counts = {name: future.result() for name, future in futures.items()}
    startup = counts.pop("<startup>")
    bare = counts["<bare boto3 handler>"] - startup
    ratios = {name: (count - startup) / bare for name, count in counts.items()}
    functions = {
        name: {"instructions": counts[name] - startup, "ratio": ratio, "met": ratio <= 1.5}
        for name, ratio in ratios.items()
    }
    print_table(
        "3c. Cold start in instructions (callgrind): the import alone, interpreter start-up subtracted",
        ["function", "M instructions", "ratio", "<=1.5x"],
        [
            [name, f["instructions"] / 1e6, f["ratio"], "-" if name.startswith("<") else ("ok" if f["met"] else "MISS")]
            for name, f in functions.items()
        ],
        note=(
            "repeatable where wall time is not (PYTHONHASHSEED=0): the same code gives the same count. It weighs "
            "every\ninstruction alike, so memory stalls and page faults are not in it; the wall-time table is the "
            "time."
        ),
    )
    return {"startup_instructions": startup, "functions": functions}
