"""The web console as a static site: what the console function answers for ``GET /console/...``.

Paths map to the files of the function's package (``static/``), app routes (``/console/``,
``/console/executions/<id>``, ...) to ``index.html``, and ``/console/config.json`` to what the
browser needs to sign in. Every answer carries the security headers: a strict Content Security
Policy (scripts and styles from this origin only, no inline script, not framed), ``nosniff`` and
no referrer, so that a decision link's page never leaks its URL.

Files are read once per container and compressed when the browser accepts gzip (an HTTP API does
not compress, and Swagger UI's bundle is 1.7 MB). Files under ``vendor/`` have the version in their
path, so browsers keep them; everything else is revalidated with an ETag on each visit.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from execution_api.infra.settings import Settings, get_settings
from execution_api.models.urls import API_BASE_PATH, CONSOLE_PATH

PREFIX = CONSOLE_PATH
CONFIG_PATH = "/config.json"
# The single-page app's routes: each is served index.html, and the app reads the path.
APP_ROUTES = (
    re.compile(r"/?"),
    re.compile(r"/executions/[^/]+"),
    re.compile(r"/start"),
    re.compile(r"/approvals"),
    re.compile(r"/decide"),
    re.compile(r"/callback"),
)
DIRECTORY_INDEX = "index.html"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
_COMPRESSIBLE = (".html", ".js", ".css", ".json", ".txt", ".svg")
_MIN_COMPRESSED_BYTES = 1024
REVALIDATE = "no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"
# Swagger UI renders API descriptions as HTML (React), which Trusted Types would refuse; the
# console's own pages never write HTML, and Chromium enforces that for them.
_TRUSTED_TYPES = "require-trusted-types-for 'script'; trusted-types 'none'"


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str
    etag: str
    gzipped: bytes | None


def content_security_policy(settings: Settings, *, trusted_types: bool = True) -> str:
    """``default-src 'self'``; fetches may also reach the identity provider (discovery, tokens)."""
    identity_origins = sorted(
        {_origin(url) for url in (settings.oidc_issuer, settings.oidc_token_endpoint) if url} - {""}
    )
    directives = [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        " ".join(["connect-src 'self'", *identity_origins]),
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ]
    if trusted_types:
        directives.append(_TRUSTED_TYPES)
    return "; ".join(directives)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def browser_config(settings: Settings) -> dict[str, Any]:
    """What the console needs to sign in and call the API. Without explicit endpoints the browser
    reads ``<issuer>/.well-known/openid-configuration``."""
    config: dict[str, Any] = {
        "issuer": settings.oidc_issuer,
        "client_id": settings.console_client_id,
        "api_base": API_BASE_PATH,
        "admin_group": settings.admin_group,
        "groups_claim": settings.groups_claim,
    }
    endpoints = {
        "authorization_endpoint": settings.oidc_authorization_endpoint,
        "token_endpoint": settings.oidc_token_endpoint,
        "end_session_endpoint": settings.oidc_end_session_endpoint,
    }
    config.update({name: url for name, url in endpoints.items() if url})
    return config


def relative_path(raw_path: str) -> str | None:
    """``/console/a/b.js`` → ``/a/b.js``; ``None`` for a path outside the console or one that
    tries to leave it (``..``, hidden files, encoded separators)."""
    if raw_path != PREFIX and not raw_path.startswith(PREFIX + "/"):
        return None
    path = unquote(raw_path.removeprefix(PREFIX)) or "/"
    segments = path.split("/")[1:]
    if any(segment.startswith(".") or "\\" in segment or "\x00" in segment for segment in segments):
        return None
    return path


def file_for(path: str, static_root: Path) -> Path | None:
    """The file that answers ``path`` (relative to the console): itself, a directory's index, or
    index.html for an app route; ``None`` when nothing does."""
    if any(route.fullmatch(path) for route in APP_ROUTES):
        return static_root / DIRECTORY_INDEX
    candidate = static_root / path.lstrip("/")
    if path.endswith("/"):
        candidate = candidate / DIRECTORY_INDEX
    root = static_root.resolve()
    resolved = candidate.resolve()
    if not resolved.is_relative_to(root) or not resolved.is_file():
        return None
    return resolved


@lru_cache(maxsize=256)
def _asset(path: Path, mtime_ns: int) -> Asset:
    """One file, read and compressed once (per version of it: the cache key holds its mtime)."""
    body = path.read_bytes()
    return _make_asset(body, CONTENT_TYPES.get(path.suffix, "application/octet-stream"), path.suffix)


def _make_asset(body: bytes, content_type: str, suffix: str) -> Asset:
    digest = hashlib.sha256(body).hexdigest()[:32]
    compressible = suffix in _COMPRESSIBLE and len(body) >= _MIN_COMPRESSED_BYTES
    gzipped = gzip.compress(body, compresslevel=6, mtime=0) if compressible else None
    return Asset(body, content_type, digest, gzipped)


def read_asset(path: Path) -> Asset:
    return _asset(path, path.stat().st_mtime_ns)


def _security_headers(settings: Settings, path: str) -> dict[str, str]:
    return {
        "content-security-policy": content_security_policy(settings, trusted_types=not path.startswith("/docs/")),
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "x-frame-options": "DENY",
        "cross-origin-opener-policy": "same-origin",
    }


def _header(event: dict[str, Any], name: str) -> str:
    return next((str(value) for key, value in (event.get("headers") or {}).items() if key.lower() == name), "")


def _accepts_gzip(event: dict[str, Any]) -> bool:
    return any(part.split(";")[0].strip() == "gzip" for part in _header(event, "accept-encoding").split(","))


def asset_response(event: dict[str, Any], asset: Asset, headers: dict[str, str], cache_control: str) -> dict[str, Any]:
    """200 with the asset (gzipped when accepted), or 304 when the browser has this version."""
    gzipped = asset.gzipped is not None and _accepts_gzip(event)
    etag = f'"{asset.etag}{"-gz" if gzipped else ""}"'
    headers = {**headers, "etag": etag, "cache-control": cache_control, "vary": "accept-encoding"}
    if etag in [tag.strip() for tag in _header(event, "if-none-match").split(",")]:
        return {"statusCode": 304, "headers": headers, "body": ""}
    headers["content-type"] = asset.content_type
    if gzipped and asset.gzipped is not None:
        headers["content-encoding"] = "gzip"
        body = base64.b64encode(asset.gzipped).decode()
        return {"statusCode": 200, "headers": headers, "body": body, "isBase64Encoded": True}
    if asset.content_type.startswith(("text/", "application/json", "image/svg")):
        return {"statusCode": 200, "headers": headers, "body": asset.body.decode("utf-8")}
    body = base64.b64encode(asset.body).decode()
    return {"statusCode": 200, "headers": headers, "body": body, "isBase64Encoded": True}


def not_found(headers: dict[str, str]) -> dict[str, Any]:
    headers = {**headers, "content-type": "text/plain; charset=utf-8", "cache-control": REVALIDATE}
    return {"statusCode": 404, "headers": headers, "body": "Not Found"}


def serve(event: dict[str, Any], static_root: Path) -> dict[str, Any]:
    """The answer to an API Gateway HTTP API (payload 2.0) event for a path under ``/console``."""
    settings = get_settings()
    path = relative_path(str(event.get("rawPath") or "/"))
    headers = _security_headers(settings, path or "/")
    if path is None:
        return not_found(headers)
    if path == CONFIG_PATH:
        body = json.dumps(browser_config(settings), sort_keys=True).encode()
        return asset_response(event, _make_asset(body, CONTENT_TYPES[".json"], ".json"), headers, REVALIDATE)
    if not path.endswith("/") and (static_root / path.lstrip("/")).is_dir():
        # /console/docs → /console/docs/: the page's relative URLs resolve inside its directory.
        return {"statusCode": 301, "headers": {**headers, "location": f"{PREFIX}{path}/"}, "body": ""}
    file = file_for(path, static_root)
    if file is None:
        return not_found(headers)
    cache_control = IMMUTABLE if path.startswith("/vendor/") else REVALIDATE
    return asset_response(event, read_asset(file), headers, cache_control)
