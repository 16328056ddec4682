"""The HTTP front of the local server (``make run``).

    python -m local --host 127.0.0.1 --port 8080 [--quiet]

Decision links are delivered as in AWS, to the ``SignalWebhookUrl`` webhook, which locally is
the server's own ``POST /_local/outbox``: each post is appended as one JSON line to
``.local/outbox.jsonl`` (``$LOCAL_OUTBOX_FILE`` overrides) and announced on the console.

``/_local/faults`` injects AWS faults into the functions' own calls, for the end-to-end tests:
``POST {"service", "operation", "code"?, "match"?}`` (``toolkit.faults``) fails those calls until
``DELETE /_local/faults`` takes every fault away.

Everything it serves comes from ``template.yaml``: the routes (each function's ``HttpApi``
events), the JWT authorizer, the functions' environment, the resources. Its generated sections
are written again from the configuration the server runs with (``toolkit.generate``), so a
workflow added to ``config/workflows.toml`` runs here as it would once deployed: its state
machine created, in the functions' ``STATE_MACHINES`` and watched for status changes. The server
only adapts HTTP to the Lambda events API Gateway would send and back. Tests can run it in a thread
with :func:`start`; the end-to-end tests run it as a subprocess, exactly as ``make run`` does.
"""

from __future__ import annotations

import argparse
import errno
import gc
import json
import logging
import os
import posixpath
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from local import apigw, auth, openapi
from local.apigw import HttpRequest, HttpResponse, Route, json_response
from local.aws_endpoint import EmbeddedAwsEndpoint
from local.eventbridge import Scheduler, StatusChangePoller, build_rules, build_schedules, watched_state_machines
from local.oidc import Client, LocalIdentityProvider
from local.streams import StreamPoller, build_sources
from toolkit import faults, moto_fixes
from toolkit.aws import EmbeddedAws, quiet_moto_logs
from toolkit.functions import LambdaFunction, load_functions
from toolkit.generate import GenerateError, generate
from toolkit.template import (
    FUNCTION,
    ROOT,
    STATE_MACHINE_TYPES,
    TEMPLATE,
    identity_center_parameters,
    parse_template,
    shared_environment,
)

LOG = logging.getLogger("local.server")
MAX_BODY_BYTES = 10 * 1024 * 1024  # HTTP API's payload limit
OUTBOX_PATH = "/_local/outbox"
FAULTS_PATH = "/_local/faults"
OUTBOX_FILE_ENV = "LOCAL_OUTBOX_FILE"
ISSUER_ENV = "LOCAL_ISSUER"
CONFIG_DIR_ENV = "LOCAL_CONFIG_DIR"
DEFAULT_OUTBOX_FILE = ROOT / ".local" / "outbox.jsonl"


def outbox_file() -> Path:
    """Where the local webhook keeps what it receives (``$LOCAL_OUTBOX_FILE`` overrides)."""
    return Path(os.environ.get(OUTBOX_FILE_ENV) or DEFAULT_OUTBOX_FILE)


class Outbox:
    """The local stand-in for the ``SignalWebhookUrl`` webhook (a chat channel in AWS): each
    post is appended as a JSON line to ``path`` and, unless quiet, its links printed."""

    def __init__(self, path: Path, quiet: bool = True) -> None:
        self.path = path
        self.quiet = quiet
        self._lock = threading.Lock()

    def receive(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return json_response(404, apigw.NOT_FOUND)
        try:
            post = json.loads(request.body)
        except ValueError:
            return json_response(400, {"message": "Bad Request"})
        if not isinstance(post, dict):
            return json_response(400, {"message": "Bad Request"})
        line = json.dumps(post, separators=(",", ":")) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as outbox:
                outbox.write(line)
        if not self.quiet:
            links = post.get("links") if isinstance(post.get("links"), dict) else {}
            print(
                f"decision link for {post.get('recipient')}: approve {links.get('approve')} / deny {links.get('deny')}",
                flush=True,
            )
        return json_response(200, {"ok": True})


class LocalFaults:
    """``/_local/faults``: AWS faults in the functions' own calls (``toolkit.faults``), for tests."""

    def __init__(self) -> None:
        self._faults: list[faults.Fault] = []
        self._lock = threading.Lock()

    def handle(self, request: HttpRequest) -> HttpResponse:
        if request.method == "DELETE":
            with self._lock:
                for fault in self._faults:
                    fault.remove()
                removed, self._faults = len(self._faults), []
            return json_response(200, {"removed": removed})
        if request.method != "POST":
            return json_response(404, apigw.NOT_FOUND)
        try:
            spec = json.loads(request.body)
            fault = faults.inject(
                str(spec["service"]),
                str(spec["operation"]),
                str(spec.get("code") or "ThrottlingException"),
                match=spec.get("match"),
            )
        except (ValueError, KeyError, TypeError) as error:
            return json_response(400, {"message": f"Bad Request: {error}"})
        with self._lock:
            self._faults.append(fault)
        return json_response(201, {"faults": len(self._faults)})


@dataclass
class LocalApi:
    """The assembled local deployment: embedded AWS, functions, routes, event sources."""

    aws: EmbeddedAws
    routes: list[Route]
    cors: dict[str, Any] | None
    functions: dict[str, LambdaFunction]
    api_id: str
    base_path: str
    notes: list[str]
    background: list[Any]
    _caller_principal: Callable[[dict[str, Any]], str | None]
    identity_provider: LocalIdentityProvider
    aws_endpoint: EmbeddedAwsEndpoint
    outbox: Outbox | None = None
    identity_store_id: str | None = None
    faults: LocalFaults = field(default_factory=LocalFaults)

    def handle(self, request: HttpRequest) -> HttpResponse:
        if len(request.body) > MAX_BODY_BYTES:
            return json_response(413, {"message": "Request Entity Too Large"})
        if self.outbox is not None and request.raw_path == OUTBOX_PATH:
            return self.outbox.receive(request)
        if request.raw_path == FAULTS_PATH:
            return self.faults.handle(request)
        return (
            self.identity_provider.handle(request)
            or self.aws_endpoint.handle(request)
            or openapi.docs_response(request.raw_path)
            or self._route(request)
        )

    def _route(self, request: HttpRequest) -> HttpResponse:
        if request.method == "OPTIONS" and self.cors is not None:
            return self._preflight()
        found = apigw.match_route(self.routes, request.method, request.raw_path)
        if found is None:
            return json_response(404, apigw.NOT_FOUND)
        route, path_parameters = found
        claims = None
        if route.authorizer is not None:
            claims = apigw.authorize(request, route.authorizer)
            if claims is None:
                return json_response(401, apigw.UNAUTHORIZED, [("www-authenticate", 'Bearer error="invalid_token"')])
            principal = self._caller_principal(apigw.flatten_claims(claims))
            if principal:
                self.aws.ensure_user(principal)
                if self.identity_store_id:
                    self.aws.ensure_identity_store_user(self.identity_store_id, principal)
        event = apigw.build_event(
            request,
            route=route,
            path_parameters=path_parameters,
            claims=claims,
            api_id=self.api_id,
            account_id=self.aws.account_id,
        )
        try:
            result = route.function.invoke(event)
        except Exception:
            LOG.exception("%s raised", route.function.logical_id)  # API Gateway's 500, not ours
            return json_response(500, apigw.INTERNAL_ERROR)
        return apigw.to_http_response(result)

    def _preflight(self) -> HttpResponse:
        cors = self.cors or {}
        headers = [
            ("access-control-allow-origin", ",".join(cors.get("AllowOrigins", ["*"]))),
            ("access-control-allow-methods", ",".join(cors.get("AllowMethods", ["*"]))),
            ("access-control-allow-headers", ",".join(cors.get("AllowHeaders", ["*"]))),
        ]
        if "MaxAge" in cors:
            headers.append(("access-control-max-age", str(cors["MaxAge"])))
        return HttpResponse(204, headers, b"")

    def close(self) -> None:
        for worker in self.background:
            worker.stop()
        self.aws.stop()


def api_base_path(template: dict[str, Any]) -> str:
    """The common prefix of every authorized ``HttpApi`` route path (``/api/v1``): the public
    routes (``Authorizer: NONE``, the console's pages) are not the API."""
    paths = [
        str(event.get("Properties", {}).get("Path", "/"))
        for spec in template.get("Resources", {}).values()
        if spec.get("Type") == FUNCTION
        for event in spec.get("Properties", {}).get("Events", {}).values()
        if event.get("Type") == "HttpApi"
        and (event.get("Properties", {}).get("Auth") or {}).get("Authorizer") != "NONE"
    ]
    return posixpath.commonpath(paths) if paths else "/"


def build(origin: str, quiet: bool = True) -> LocalApi:
    """Starts the embedded AWS and assembles everything the template describes; ``origin`` is
    where the server listens (``http://127.0.0.1:8080``)."""
    if not os.environ.get("LOCAL_DEBUG"):  # LOCAL_DEBUG=1 keeps moto's logs
        quiet_moto_logs()
    aws = EmbeddedAws()
    try:
        return _assemble(aws, origin, quiet)
    except BaseException:
        aws.stop()
        raise


def local_issuer(origin: str) -> str:
    """The local identity provider's issuer: ``$LOCAL_ISSUER``, else ``<origin>/local-idp``."""
    return os.environ.get(ISSUER_ENV) or origin + auth.ISSUER_PATH


def config_dir() -> Path:
    """The ConfigLayer's files: the repository's config/ (Lambda mounts them at /opt), or the
    directory ``$LOCAL_CONFIG_DIR`` names (the tests add roles and workflows of their own)."""
    return Path(os.environ.get(CONFIG_DIR_ENV) or ROOT / "config")


def _assemble(aws: EmbeddedAws, origin: str, quiet: bool) -> LocalApi:
    template = parse_template(generate(TEMPLATE.read_text(), config_dir()), str(TEMPLATE))
    base_path = api_base_path(template)
    issuer = local_issuer(origin)
    overrides: dict[str, Any] = auth.template_parameters(issuer)
    policy = _policy(config_dir(), str(template["Parameters"]["Stage"]["Default"]))
    scope = policy.identity_center_scope()
    if scope is not None:
        # As a deployment that turns the aws-sso provider on passes them (README, "IAM Identity Center").
        overrides.update(identity_center_parameters(scope))
    if "PublicUrl" in template.get("Parameters", {}):
        overrides["PublicUrl"] = origin  # decision links point at this server
    outbox = None
    if "SignalWebhookUrl" in template.get("Parameters", {}):
        overrides["SignalWebhookUrl"] = origin + OUTBOX_PATH  # links are delivered to this server
        outbox = Outbox(outbox_file(), quiet)
    resolver = aws.deploy(overrides, template)

    log_level = os.environ.get("POWERTOOLS_LOG_LEVEL") or "WARNING"
    os.environ.update(shared_environment(template, resolver))
    os.environ["CONFIG_DIR"] = str(config_dir())
    os.environ["POWERTOOLS_LOG_LEVEL"] = log_level
    os.environ["POWERTOOLS_TRACE_DISABLED"] = "true"

    # Imported only now: the layer reads its settings from the environment just set.
    from execution_api.api.identity import caller_from_claims  # noqa: PLC0415
    from execution_api.infra.settings import get_settings  # noqa: PLC0415
    from execution_api.models.errors import DomainError  # noqa: PLC0415
    from execution_api.models.policy import IamGroupRole  # noqa: PLC0415

    moto_fixes.answer_token_after_stop(aws.session, lambda: get_settings().table_name)
    prefix = get_settings().elevation_group_prefix
    aws.create_elevation_groups(
        sorted({f"{prefix}{role.group}" for role in policy.roles.values() if isinstance(role, IamGroupRole)})
    )
    center = policy.identity_center if scope is not None else None
    if center is not None:
        aws.create_identity_center(center.instance_arn, center.identity_store_id, dict(center.permission_sets))

    functions = load_functions(template, resolver, aws.account_id)
    routes, cors = apigw.build_routes(template, functions, resolver)
    rules = build_rules(template, functions, resolver)
    # The stack's state machines, and those registered by ARN that the rules watch.
    state_machines = sorted({*resolver.refs_of_type(*STATE_MACHINE_TYPES).values(), *watched_state_machines(rules)})
    sources = build_sources(template, functions, resolver)
    schedules, notes = build_schedules(template, functions, resolver)
    background = [
        StatusChangePoller(aws.client("stepfunctions"), state_machines, rules, aws.account_id),
        StreamPoller(aws.streams_client(), sources),
        Scheduler(schedules, aws.account_id),
    ]
    for worker in background:
        worker.start()
    notes = [
        *(f"Step Functions status changes -> {rule.function.logical_id}" for rule in rules),
        *(f"DynamoDB stream -> {source.function.logical_id}" for source in sources),
        *(f"every {schedule.interval_seconds:.0f}s -> {schedule.function.logical_id}" for schedule in schedules),
        *_absent_state_machines(aws, get_settings().state_machines),
        *notes,
    ]
    if center is not None:
        notes.append(
            f"IAM Identity Center {center.instance_arn}, identity store {center.identity_store_id}: "
            f"accounts {', '.join(center.accounts)}; permission sets {', '.join(center.permission_sets)}"
        )

    def caller_principal(claims: dict[str, Any]) -> str | None:
        """The caller's verified email in lower case: the name of the IAM user a grant adds to a
        group, and the email of their Identity Store user (``logic.providers``)."""
        settings = get_settings()
        try:
            caller = caller_from_claims(
                claims,
                settings.groups_claim,
                settings.admin_group,
                trust_unverified_email=settings.trust_unverified_email,
            )
        except DomainError:
            return None
        return caller.email.casefold() if caller.email else None

    api_ids = list(resolver.refs_of_type("AWS::Serverless::HttpApi").values())
    return LocalApi(
        aws=aws,
        routes=routes,
        cors=cors,
        functions=functions,
        api_id=str(api_ids[0]) if api_ids else "local",
        base_path=base_path,
        notes=notes,
        background=background,
        _caller_principal=caller_principal,
        identity_provider=LocalIdentityProvider(
            origin,
            issuer,
            [
                Client(auth.CONSOLE_CLIENT_ID, redirect_prefix=f"{origin}/console/"),
                Client(auth.CLI_CLIENT_ID, loopback=True),
            ],
        ),
        aws_endpoint=EmbeddedAwsEndpoint(*_host_and_port(origin), functions=functions),
        outbox=outbox,
        identity_store_id=center.identity_store_id if center is not None else None,
    )


def _policy(config_dir: Path, stage: str) -> Any:
    """The roles policy the functions will load (``execution_api.infra.config``)."""
    from execution_api.infra.config import read_config  # noqa: PLC0415
    from execution_api.models.policy import RolesPolicy  # noqa: PLC0415

    return RolesPolicy.model_validate(read_config(config_dir, "roles", stage))


def _absent_state_machines(aws: EmbeddedAws, state_machines: dict[str, str]) -> list[str]:
    """A note for each workflow registered by the ARN of a state machine the embedded AWS does not have."""
    sfn = aws.client("stepfunctions")
    notes = []
    for workflow, arn in sorted(state_machines.items()):
        try:
            sfn.describe_state_machine(stateMachineArn=arn)
        except sfn.exceptions.StateMachineDoesNotExist:
            notes.append(f"workflow {workflow}: its state machine {arn} is not here: create it at /_aws to run it")
    return notes


def _host_and_port(origin: str) -> tuple[str, int]:
    parts = urlsplit(origin)
    return parts.hostname or "127.0.0.1", parts.port or 80


# -- HTTP ------------------------------------------------------------------------------------------


class _RequestHandler(BaseHTTPRequestHandler):
    # Headers and body go out in separate writes; without this, Nagle meets delayed ACK (~40 ms).
    disable_nagle_algorithm = True
    server_version = "execution-api-local"
    protocol_version = "HTTP/1.1"
    api: LocalApi
    quiet: bool

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, QUERY, ...) is routed too, so it gets API Gateway's 404 for an
        # unmatched route, where BaseHTTPRequestHandler would answer 501 (a server error).
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        started = time.monotonic()
        target = self.path
        if not target.startswith("/"):
            parts = urlsplit(target)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
        raw_path, _, raw_query = target.partition("?")
        try:
            body = self._read_body()
        except ValueError:
            self._write(HttpResponse(400, [("content-type", "application/json")], b'{"message":"Bad Request"}'))
            return
        request = HttpRequest(
            method=self.command,
            raw_path=raw_path or "/",
            raw_query=raw_query,
            headers=[(name, value) for name, value in self.headers.items() if name.lower() != "transfer-encoding"],
            body=body,
            source_ip=self.client_address[0],
            protocol=self.request_version,
        )
        try:
            response = self.api.handle(request)
        except Exception:
            LOG.exception("request failed")
            response = json_response(500, apigw.INTERNAL_ERROR)
        self._write(response)
        if not self.quiet:
            # The path only: queries can carry tokens (signal?input=...), and bodies are never logged.
            elapsed = (time.monotonic() - started) * 1000
            sys.stderr.write(f"{self.command} {raw_path} {response.status} {elapsed:.0f}ms\n")

    def _write(self, response: HttpResponse) -> None:
        self.send_response_only(response.status)
        self.send_header("date", apigw.http_date())
        self.send_header("apigw-requestid", os.urandom(6).hex())
        for name, value in response.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("content-length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        """http.server's own log lines would print the query string: see ``_handle``."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default listen backlog is 5: under concurrent clients (and the webhook the
    # server posts to itself) a busy accept loop overflowed it, and connections stalled on SYN
    # retransmits or were reset.
    request_queue_size = 128


@dataclass
class ServerHandle:
    url: str
    api: LocalApi
    _server: ThreadingHTTPServer
    _thread: threading.Thread | None = None

    def serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()
        self.api.close()


def create(host: str, port: int, quiet: bool = True) -> ServerHandle:
    """Binds ``host:port`` (0: any free port), then builds the API for that address."""
    server = _Server((host, port), _RequestHandler)
    try:
        origin = f"http://{host}:{server.server_address[1]}"
        api = build(origin, quiet)
    except BaseException:
        server.server_close()
        raise
    server.RequestHandlerClass = type("RequestHandler", (_RequestHandler,), {"api": api, "quiet": quiet})
    return ServerHandle(url=origin + api.base_path, api=api, _server=server)


def start(host: str = "127.0.0.1", port: int = 0, quiet: bool = True) -> ServerHandle:
    """The server running in a background thread (port 0 picks a free one): ``.url``, ``.stop()``.

    One per process: the embedded AWS (moto) and the functions' environment are process-wide.
    """
    handle = create(host, port, quiet)
    handle._thread = threading.Thread(target=handle.serve_forever, name="local-http", daemon=True)
    handle._thread.start()
    return handle


def _banner(handle: ServerHandle) -> str:
    api = handle.api
    width = max(len(route.path) for route in api.routes) if api.routes else 0
    origin = handle.url.removesuffix(api.base_path)
    lines = [f"execution-api local server: {handle.url}"]
    for route in sorted(api.routes, key=lambda route: (route.path, route.method)):
        lines.append(f"  {route.method:<7} {origin}{route.path:<{width}}  -> {route.function.logical_id}")
    lines.extend(f"  ({note})" for note in api.notes)
    if api.outbox is not None:
        lines.append(f"  (decision links -> POST {origin}{OUTBOX_PATH} -> {api.outbox.path}, and printed here)")
    lines.append(f"  (embedded AWS: aws --endpoint-url {origin}/_aws iam get-group --group-name elevate-developer)")
    lines.append("Data lives in memory (embedded AWS via moto) and is lost when the server stops.")
    lines.append(f"  (sign-in: OpenID Connect provider {api.identity_provider.issuer}, any user, dev only)")
    lines.append(f"Web console: {origin}/console/ (API docs: {origin}/console/docs/)")
    lines.append("Get a token: make token USER=alice@example.com [GROUPS=execution-admins]. Ctrl-C stops.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description="Serve the API locally over an embedded AWS.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--quiet", action="store_true", help="no banner and no request log")
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO, format="%(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("botocore").setLevel(logging.WARNING)

    try:
        handle = create(args.host, args.port, args.quiet)
    except KeyboardInterrupt:
        return 130
    except GenerateError as error:
        print(f"cannot serve this configuration: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        if error.errno not in (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES):
            raise
        print(f"cannot listen on {args.host}:{args.port}: {error.strerror}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(_banner(handle), flush=True)

    def _terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    # Explicit, so that Ctrl-C works even where the shell started the server with SIGINT ignored.
    signal.signal(signal.SIGINT, _terminate)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        handle.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        handle.stop()
    if not args.quiet:
        print("stopped", flush=True)
    # Everything is stopped; spare the interpreter seconds of collecting moto's and botocore's
    # object graphs at exit.
    gc.freeze()
    return 0
