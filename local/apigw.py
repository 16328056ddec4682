"""API Gateway (HTTP API, payload format 2.0, JWT authorizer), played locally: routes from the
template's ``HttpApi`` events, the event AWS would send, and the response mapped back to HTTP.
The functions are the toolkit's (``toolkit.functions``), invoked one event at a time."""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
import time
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl, unquote

from local import auth
from toolkit.functions import LambdaFunction
from toolkit.template import REGION, Resolver, TemplateError

LOG = logging.getLogger("local.apigw")
NOT_FOUND = {"message": "Not Found"}
UNAUTHORIZED = {"message": "Unauthorized"}
INTERNAL_ERROR = {"message": "Internal Server Error"}


# -- routes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Authorizer:
    header: str  # lower-case header name of the identity source
    issuer: str
    audiences: list[str]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: LambdaFunction
    authorizer: Authorizer | None
    pattern: re.Pattern[str]
    names: tuple[str, ...]
    greedy: bool

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


def compile_path(path: str) -> tuple[re.Pattern[str], tuple[str, ...], bool]:
    """``/a/{id}`` → a regex over the raw path; ``{proxy+}`` matches the rest, slashes included,
    and nothing: ``/console/`` reaches ``/console/{proxy+}`` (the usual way to take a trailing slash
    on an HTTP API, whose route paths cannot end with one)."""
    names: list[str] = []
    greedy = False
    parts = []
    for segment in path.strip("/").split("/"):
        match = re.fullmatch(r"\{([A-Za-z0-9_]+)(\+?)\}", segment)
        if match:
            names.append(match[1])
            greedy = greedy or bool(match[2])
            parts.append(f"(?P<{match[1]}>.*)" if match[2] else f"(?P<{match[1]}>[^/]+)")
        else:
            parts.append(re.escape(segment))
    return re.compile("^/" + "/".join(parts) + "$"), tuple(names), greedy


def _authorizer(
    api: dict[str, Any] | None, event_auth: dict[str, Any], resolver: Resolver, where: str
) -> Authorizer | None:
    auth_spec = (api or {}).get("Properties", {}).get("Auth") or {}
    name = event_auth.get("Authorizer", auth_spec.get("DefaultAuthorizer"))
    if not name or name == "NONE":
        return None
    config = auth_spec.get("Authorizers", {}).get(name)
    if config is None or "JwtConfiguration" not in config:
        raise TemplateError(f"{where}: authorizer {name}: only JWT authorizers are emulated locally")
    jwt_config = resolver.resolve(config["JwtConfiguration"], f"{where}: authorizer {name}")
    source = str(config.get("IdentitySource", "$request.header.Authorization"))
    if not source.startswith("$request.header."):
        raise TemplateError(f"{where}: authorizer {name}: identity source {source} is not emulated locally")
    audiences = jwt_config.get("audience") or []
    return Authorizer(
        header=source.removeprefix("$request.header.").lower(),
        issuer=str(jwt_config["issuer"]),
        audiences=[audiences] if isinstance(audiences, str) else [str(item) for item in audiences],
    )


def build_routes(
    template: dict[str, Any], functions: dict[str, LambdaFunction], resolver: Resolver
) -> tuple[list[Route], dict[str, Any] | None]:
    """Every HttpApi event of every function, most specific first; and the API's CORS config."""
    resources = template.get("Resources", {})
    routes: list[Route] = []
    cors = None
    for logical_id, function in functions.items():
        for event_name, event in resources[logical_id].get("Properties", {}).get("Events", {}).items():
            if event.get("Type") != "HttpApi":
                continue
            where = f"{logical_id}.Events.{event_name}"
            properties = event.get("Properties", {})
            api_ref = properties.get("ApiId", {})
            api = resources.get(api_ref.get("Ref")) if isinstance(api_ref, dict) else None
            if api is not None:
                cors = api.get("Properties", {}).get("CorsConfiguration", cors)
            path = str(resolver.resolve(properties.get("Path", "$default"), where))
            method = str(resolver.resolve(properties.get("Method", "ANY"), where)).upper()
            pattern, names, greedy = compile_path(path)
            authorizer = _authorizer(api, properties.get("Auth") or {}, resolver, where)
            routes.append(Route(method, path, function, authorizer, pattern, names, greedy))
    # API Gateway prefers literal segments over variables, and variables over greedy ones.
    routes.sort(key=lambda route: (route.greedy, len(route.names), -route.path.count("/")))
    return routes, resolver.resolve(cors, "HttpApi.CorsConfiguration") if cors else None


def match_route(routes: list[Route], method: str, raw_path: str) -> tuple[Route, dict[str, str]] | None:
    for route in routes:
        if route.method not in (method, "ANY"):
            continue
        found = route.pattern.match(raw_path)
        if found:
            return route, {name: unquote(found[name]) for name in route.names}
    return None


# -- the event ---------------------------------------------------------------------------------


def flatten_claims(claims: dict[str, Any]) -> dict[str, str]:
    """Claims as the HTTP API JWT authorizer passes them: strings, arrays as ``[a b]``."""

    def flat(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return "[" + " ".join(flat(item) for item in value) + "]"
        if isinstance(value, dict):
            return "map[" + " ".join(f"{key}:{flat(item)}" for key, item in value.items()) + "]"
        return str(value)

    return {name: flat(value) for name, value in claims.items()}


@dataclass
class HttpRequest:
    method: str
    raw_path: str
    raw_query: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    protocol: str = "HTTP/1.1"

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key.lower() == name]
        return ",".join(values) if values else None


def build_event(
    request: HttpRequest,
    *,
    route: Route,
    path_parameters: dict[str, str],
    claims: dict[str, Any] | None,
    api_id: str,
    account_id: str,
) -> dict[str, Any]:
    """The API Gateway HTTP API payload format 2.0 event for ``request``."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for key, value in request.headers:
        name = key.lower()
        if name == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    headers.setdefault("x-forwarded-for", request.source_ip)
    headers.setdefault("x-forwarded-proto", "http")
    query: dict[str, str] = {}
    for key, value in parse_qsl(request.raw_query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value
    now = time.time()
    request_id = base64.b64encode(secrets.token_bytes(10)).decode()
    domain = headers.get("host", f"{api_id}.execute-api.{REGION}.amazonaws.com")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": account_id,
            "apiId": api_id,
            "domainName": domain,
            "domainPrefix": domain.split(".", 1)[0],
            "http": {
                "method": request.method,
                "path": request.raw_path,
                "protocol": request.protocol,
                "sourceIp": request.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": route.route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if claims is not None:
        flat = flatten_claims(claims)
        scopes = flat.get("scope", "").split() or None
        event["requestContext"]["authorizer"] = {"jwt": {"claims": flat, "scopes": scopes}}
    if request.body:
        try:
            event["body"] = request.body.decode("utf-8")
        except UnicodeDecodeError:
            event["body"] = base64.b64encode(request.body).decode()
            event["isBase64Encoded"] = True
    return event


# -- the response --------------------------------------------------------------------------------


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def json_response(status: int, body: dict[str, Any], headers: list[tuple[str, str]] | None = None) -> HttpResponse:
    return HttpResponse(status, [("content-type", "application/json"), *(headers or [])], json.dumps(body).encode())


def to_http_response(result: Any) -> HttpResponse:
    """Maps a Lambda result to HTTP as API Gateway does for payload format 2.0."""
    if not (isinstance(result, dict) and "statusCode" in result):
        # Not a response object: API Gateway serves the value itself as a JSON 200.
        return HttpResponse(200, [("content-type", "application/json")], json.dumps(result).encode())
    headers: list[tuple[str, str]] = []
    for name, value in (result.get("headers") or {}).items():
        headers.append((name, str(value)))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((name, str(value)) for value in values)
    headers.extend(("set-cookie", str(cookie)) for cookie in result.get("cookies") or [])
    body = result.get("body")
    if body is None:
        raw = b""
    elif result.get("isBase64Encoded"):
        raw = base64.b64decode(body)
    else:
        raw = (body if isinstance(body, str) else json.dumps(body)).encode()
    if raw and not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("content-type", "application/json"))
    return HttpResponse(int(result["statusCode"]), headers, raw)


def authorize(request: HttpRequest, authorizer: Authorizer) -> dict[str, Any] | None:
    """The verified claims, or ``None`` (401) — as the HTTP API JWT authorizer decides."""
    value = request.header(authorizer.header)
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        return auth.verify(token.strip(), authorizer.issuer, authorizer.audiences)
    except auth.InvalidToken as error:
        LOG.info("401: %s", error)
        return None


def http_date() -> str:
    return formatdate(usegmt=True)
