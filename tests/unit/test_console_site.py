"""The console function's site: which file answers which path, the security headers, caching,
compression and config.json; and the console's own scripts (they never write HTML)."""

from __future__ import annotations

import base64
import gzip
import json
import re
from pathlib import Path

import pytest

from execution_api.api import console_site
from execution_api.infra.settings import get_settings

STATIC = Path(__file__).resolve().parents[2] / "functions" / "console" / "static"
ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example"
TOKEN_ENDPOINT = "https://example-app.auth.eu-west-1.amazoncognito.com/oauth2/token"


@pytest.fixture(autouse=True)
def settings_env(monkeypatch: pytest.MonkeyPatch):
    for name, value in {
        "EXECUTIONS_TABLE": "t",
        "TASK_QUEUE": "q",
        "STATE_MACHINES": "{}",
        "CURSOR_SECRET_NAME": "c",
        "OIDC_ISSUER": ISSUER,
        "CONSOLE_CLIENT_ID": "console-client",
        "OIDC_AUTHORIZATION_ENDPOINT": "",
        "OIDC_TOKEN_ENDPOINT": "",
        "OIDC_END_SESSION_ENDPOINT": "",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def get(path: str, **headers: str) -> dict:
    return console_site.serve({"rawPath": path, "headers": headers}, STATIC)


def text(response: dict) -> str:
    body = response["body"]
    raw = base64.b64decode(body) if response.get("isBase64Encoded") else body.encode()
    if response["headers"].get("content-encoding") == "gzip":
        raw = gzip.decompress(raw)
    return raw.decode()


@pytest.mark.parametrize(
    "path",
    ["/console", "/console/", "/console/executions/abc", "/console/start", "/console/decide", "/console/callback"],
)
def test_every_app_route_is_the_app_with_the_security_headers(path):
    response = get(path)

    headers = response["headers"]
    assert response["statusCode"] == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert '<script type="module" src="/console/js/app.js">' in text(response)
    csp = headers["content-security-policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert "require-trusted-types-for 'script'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "path",
    [
        "/console/../template.yaml",
        "/console/%2e%2e/app.py",
        "/console/js/%2e%2e%2f..%2fapp.py",
        "/console/.hidden",
        "/console/nothing-here.js",
        "/console/executions/a/b",
        "/consoles/",
    ],
)
def test_paths_outside_the_site_or_unknown_are_404(path):
    response = get(path)

    assert response["statusCode"] == 404
    assert response["headers"]["content-security-policy"].startswith("default-src 'self'")


def test_config_names_the_issuer_and_client_and_only_the_endpoints_set(settings_env):
    config = json.loads(text(get("/console/config.json")))
    assert config == {
        "issuer": ISSUER,
        "client_id": "console-client",
        "api_base": "/api/v1",
        "admin_group": "execution-admins",
        "groups_claim": "execution_api_groups",
    }

    settings_env.setenv("OIDC_TOKEN_ENDPOINT", TOKEN_ENDPOINT)
    get_settings.cache_clear()
    response = get("/console/config.json")

    assert json.loads(text(response))["token_endpoint"] == TOKEN_ENDPOINT
    connect = re.search(r"connect-src ([^;]+)", response["headers"]["content-security-policy"])[1].split()
    assert connect == [
        "'self'",
        "https://cognito-idp.eu-west-1.amazonaws.com",
        "https://example-app.auth.eu-west-1.amazoncognito.com",
    ]


def test_a_known_version_is_not_modified_and_big_files_are_gzipped():
    first = get("/console/console.css", **{"accept-encoding": "gzip, br"})
    again = get("/console/console.css", **{"accept-encoding": "gzip, br", "if-none-match": first["headers"]["etag"]})
    plain = get("/console/console.css")

    assert first["headers"]["content-encoding"] == "gzip"
    assert first["isBase64Encoded"] is True
    assert text(first) == text(plain) == (STATIC / "console.css").read_text()
    assert again["statusCode"] == 304
    assert again["body"] == ""
    assert plain["headers"]["etag"] != first["headers"]["etag"]
    assert plain["headers"]["content-type"] == "text/css; charset=utf-8"


def test_vendored_files_are_cached_for_good_and_the_docs_page_has_no_trusted_types():
    bundle = next(STATIC.glob("vendor/swagger-ui-*/swagger-ui-bundle.js")).relative_to(STATIC)
    asset = get(f"/console/{bundle}")
    docs = get("/console/docs/")

    assert asset["headers"]["cache-control"] == "public, max-age=31536000, immutable"
    assert asset["headers"]["content-type"] == "text/javascript; charset=utf-8"
    assert docs["statusCode"] == 200
    assert f"../{bundle.parent}/swagger-ui-bundle.js" in text(docs)
    assert "trusted-types" not in docs["headers"]["content-security-policy"]
    assert "frame-ancestors 'none'" in docs["headers"]["content-security-policy"]


def test_a_directory_without_its_slash_is_redirected():
    response = get("/console/docs")

    assert response["statusCode"] == 301
    assert response["headers"]["location"] == "/console/docs/"


def test_the_openapi_document_is_served_from_the_package():
    response = get("/console/openapi.json")

    assert json.loads(text(response))["openapi"].startswith("3.1")


SCRIPTS = [*sorted((STATIC / "js").rglob("*.js")), STATIC / "docs" / "init.js"]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: str(path.relative_to(STATIC)))
def test_the_consoles_scripts_never_write_html_and_import_only_their_own_files(script):
    source = script.read_text()

    assert not re.search(r"innerHTML|outerHTML\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function", source)
    for target in re.findall(r'from "(\.[^"]+)"', source):
        assert (script.parent / target).resolve().is_file(), target
