"""Shared machinery of the benchmarks: the embedded AWS built from template.yaml, the Lambda
functions loaded from functions/<dir>/app.py, API Gateway HTTP API v2.0 events, an AWS API
call counter, and table printing. Stdlib plus what is in the venv."""

from __future__ import annotations

import base64
import importlib.util
import json
import logging
import os
import re
import secrets
import string
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

import boto3
from aws_lambda_powertools.utilities import parameters
from botocore.client import BaseClient
from cfnlint.decode import decode_str
from moto import mock_aws
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models import dynamo_type
from moto.dynamodb.models.table import Table

from local.cloud import make_moto_thread_safe

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = ROOT / "functions"
TEMPLATE = ROOT / "template.yaml"
REGION = "us-east-1"
ACCOUNT = "123456789012"
GROUP_PREFIX = "elevate-"

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


# --------------------------------------------------------------------------- template


def load_template() -> dict[str, Any]:
    template, matches = decode_str(TEMPLATE.read_text())
    if template is None:
        raise RuntimeError(f"template.yaml does not parse: {matches}")
    return template


def parameter_defaults(template: dict[str, Any]) -> dict[str, str]:
    return {name: str(spec.get("Default", "")) for name, spec in template.get("Parameters", {}).items()}


def resolve(value: Any, refs: dict[str, str]) -> Any:
    """Ref and Fn::Sub (string form) against ``refs``; anything else unchanged."""
    if isinstance(value, dict) and len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Ref":
            return refs.get(arg, "")
        if fn == "Fn::Sub" and isinstance(arg, str):
            return re.sub(r"\$\{([^}]+)\}", lambda m: refs.get(m.group(1), m.group(0)), arg)
    return value


# --------------------------------------------------------------------------- embedded AWS


@dataclass
class Stack:
    """What ``build_stack`` created, by template logical id."""

    template: dict[str, Any]
    tables: dict[str, str] = field(default_factory=dict)
    state_machines: dict[str, str] = field(default_factory=dict)  # logical id -> ARN
    secrets: dict[str, str] = field(default_factory=dict)  # logical id -> ARN
    env: dict[str, str] = field(default_factory=dict)

    @property
    def table(self) -> str:
        return self.tables["ExecutionsTable"]

    def workflow_arn(self, workflow: str) -> str:
        return json.loads(self.env["STATE_MACHINES"])[workflow]


def _create_table_args(name: str, props: dict[str, Any]) -> dict[str, Any]:
    args: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": [dict(a) for a in props["AttributeDefinitions"]],
        "KeySchema": [dict(k) for k in props["KeySchema"]],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if props.get("GlobalSecondaryIndexes"):
        args["GlobalSecondaryIndexes"] = [
            {
                "IndexName": gsi["IndexName"],
                "KeySchema": [dict(k) for k in gsi["KeySchema"]],
                "Projection": dict(gsi["Projection"]),
            }
            for gsi in props["GlobalSecondaryIndexes"]
        ]
    if props.get("SSESpecification", {}).get("SSEEnabled"):
        args["SSESpecification"] = {"Enabled": True}
    return args


def build_stack(template: dict[str, Any] | None = None) -> Stack:
    """Creates, inside an active ``mock_aws``, every table, secret and state machine of
    template.yaml, and returns the function environment (Globals) resolved against them."""
    template = template or load_template()
    stack = Stack(template=template)
    refs = parameter_defaults(template)
    refs.update({"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws"})
    resources = template["Resources"]
    ddb = boto3.client("dynamodb", region_name=REGION)
    for logical, res in resources.items():
        if res["Type"] == "AWS::DynamoDB::Table":
            name = f"bench-{logical}"
            props = res["Properties"]
            ddb.create_table(**_create_table_args(name, props))
            ttl = props.get("TimeToLiveSpecification")
            if ttl and ttl.get("Enabled"):
                ddb.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
                )
            stack.tables[logical] = name
            refs[logical] = name
    sm = boto3.client("secretsmanager", region_name=REGION)
    for logical, res in resources.items():
        if res["Type"] == "AWS::SecretsManager::Secret":
            spec = res["Properties"].get("GenerateSecretString", {})
            length = int(spec.get("PasswordLength", 32))
            alphabet = string.ascii_letters + string.digits
            value = "".join(secrets.choice(alphabet) for _ in range(length))
            if spec.get("SecretStringTemplate") and spec.get("GenerateStringKey"):
                value = json.dumps({**json.loads(spec["SecretStringTemplate"]), spec["GenerateStringKey"]: value})
            arn = sm.create_secret(Name=f"bench-{logical}", SecretString=value)["ARN"]
            stack.secrets[logical] = arn
            refs[logical] = arn
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    for logical, res in resources.items():
        if res["Type"] == "AWS::SNS::Topic":
            refs[logical] = sns.create_topic(Name=f"bench-{logical}")["TopicArn"]
        elif res["Type"] == "AWS::SQS::Queue":
            refs[logical] = sqs.create_queue(QueueName=f"bench-{logical}")["QueueUrl"]
    sfn = boto3.client("stepfunctions", region_name=REGION)
    for logical, res in resources.items():
        if res["Type"] not in ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"):
            continue
        props = res["Properties"]
        name = resolve(props.get("Name"), refs) or f"bench-{logical}"
        definition = (ROOT / props["DefinitionUri"]).read_text()
        substitutions = {"ExecutionsTable": stack.table, "GroupPrefix": GROUP_PREFIX}
        for key in props.get("DefinitionSubstitutions", {}):
            definition = definition.replace("${" + key + "}", substitutions.get(key, key))
        arn = sfn.create_state_machine(
            name=name, definition=definition, roleArn=f"arn:aws:iam::{ACCOUNT}:role/bench-{logical}"
        )["stateMachineArn"]
        stack.state_machines[logical] = arn
        refs[logical] = arn
    variables = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    stack.env = {name: str(resolve(value, refs)) for name, value in variables.items()}
    stack.env["POWERTOOLS_TRACE_DISABLED"] = "true"
    stack.env["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    return stack


@contextmanager
def embedded_aws(execute_state_machines: bool = True) -> Iterator[Stack]:
    """``mock_aws`` with real Step Functions execution, the stack built, the env set and the
    layer's per-process caches cleared (settings, clients)."""
    apply_base_env()
    quiet_moto_logs()
    speed_up_moto_scans()
    make_moto_thread_safe()
    config: Any = {"stepfunctions": {"execute_state_machine": execute_state_machines}}
    with mock_aws(config=config):
        stack = build_stack()
        os.environ.update(stack.env)
        reset_layer_caches()
        yield stack
    reset_layer_caches()


def reset_layer_caches() -> None:
    """The layer caches settings, clients and secrets per process; start each stack clean."""
    for module_name, attrs in (
        ("execution_api.settings", ("get_settings",)),
        ("execution_api.aws", ("client",)),
        ("execution_api.idempotency", ("_once",)),
    ):
        module = sys.modules.get(module_name)
        for attr in attrs:
            fn = getattr(module, attr, None) if module else None
            if fn is not None and hasattr(fn, "cache_clear"):
                fn.cache_clear()
    parameters.clear_caches()


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


class FakeContext:
    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:bench"
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "bench"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 15_000


_loaded: dict[str, ModuleType] = {}


def function_dirs() -> list[str]:
    return sorted(p.parent.name for p in FUNCTIONS_DIR.glob("*/app.py"))


def load_function(directory: str) -> ModuleType:
    """functions/<directory>/app.py under a unique module name (each is a separate Lambda)."""
    if directory not in _loaded:
        path = FUNCTIONS_DIR / directory / "app.py"
        spec = importlib.util.spec_from_file_location(f"bench_fn_{directory}", path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        _loaded[directory] = module
    return _loaded[directory]


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
    claims: dict[str, Any] = {"sub": str(uuid.uuid5(uuid.NAMESPACE_URL, user)), "email": user}
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
    response = load_function(directory).lambda_handler(event, FakeContext())
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


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            return value
        time.sleep(interval)


# --------------------------------------------------------------------------- moto speed-up


def speed_up_moto_scans() -> None:
    """moto's ``Table.all_items()`` re-sorts the whole table (by primary key) on every Query and
    Scan: O(N log N) comparisons per call, ~40 s per Query at 100k items. Memoize it until the
    table's membership changes (``put_item``/``delete_item``). Same items, same order, same
    ``ScannedCount``: only the emulator's wall time changes. GSI Queries stay a linear pass.
    Also builds moto's items with one 400 KB size check instead of one per attribute."""
    if getattr(Table, "_bench_memoized", False):
        return
    original_all, original_put, original_delete = Table.all_items, Table.put_item, Table.delete_item

    def all_items(self: Any) -> list[Any]:
        cached = self.__dict__.get("_bench_all_items")
        if cached is None:
            cached = original_all(self)
            self.__dict__["_bench_all_items"] = cached
        return list(cached)

    def put_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        self.__dict__.pop("_bench_all_items", None)
        return original_put(self, *args, **kwargs)

    def delete_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        self.__dict__.pop("_bench_all_items", None)
        return original_delete(self, *args, **kwargs)

    def item_init(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        # moto checks the 400 KB limit on each attribute added, re-summing the whole item each
        # time (quadratic); one check of the finished item gives the same verdict.
        self.hash_key = hash_key
        self.range_key = range_key
        converted = {key: dynamo_type.DynamoType(value) for key, value in attrs.items()}
        if sum(dynamo_type.bytesize(key) + value.size() for key, value in converted.items()) > 405000:
            raise ItemSizeTooLarge
        self.attrs = dynamo_type.LimitedSizeDict()
        dict.update(self.attrs, converted)

    dynamo_type.Item.__init__ = item_init  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]
    Table.put_item = put_item  # type: ignore[method-assign]
    Table.delete_item = delete_item  # type: ignore[method-assign]
    Table._bench_memoized = True  # type: ignore[attr-defined]


def quiet_moto_logs() -> None:
    """moto's Step Functions interpreter logs every caught failure with the whole state tree."""
    for name in ("moto", "moto.stepfunctions", "botocore.credentials"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
