"""The local server's OpenID Connect provider: authorization code with PKCE, as the console and
the CLI use it, scripted without a browser (the sign-in form is posted as a person would)."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import secrets
import urllib.parse
from typing import Any

import jwt
import pytest

from local.auth import CLI_CLIENT_ID, CONSOLE_CLIENT_ID, GROUPS_CLAIM
from tests.e2e.conftest import ApiClient, a_user

pytestmark = pytest.mark.e2e

REDIRECT = "http://127.0.0.1:53682/callback"


def _origin(local_server: str) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(local_server)
    return parts.hostname or "127.0.0.1", parts.port or 80


def _call(local_server: str, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    host, port = _origin(local_server)
    connection = http.client.HTTPConnection(host, port, timeout=10)
    body = urllib.parse.urlencode(form).encode() if form is not None else None
    headers = {"content-type": "application/x-www-form-urlencoded"} if form is not None else {}
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def _authorization(challenge: str, client_id: str = CLI_CLIENT_ID, redirect_uri: str = REDIRECT) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid email",
        "state": "st-" + secrets.token_hex(4),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }


def _sign_in(local_server: str, params: dict[str, str], email: str, groups: str = "", verified: bool = True) -> str:
    form = {**params, "email": email, "groups": groups, **({"email_verified": "true"} if verified else {})}
    status, headers, _ = _call(local_server, "POST", "/local-idp/authorize", form)
    assert status == 302, status
    location = urllib.parse.urlsplit(headers["location"])
    assert location.geturl().startswith(params["redirect_uri"])
    answer = dict(urllib.parse.parse_qsl(location.query))
    assert answer["state"] == params["state"]
    return answer["code"]


def _token(local_server: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
    status, _, body = _call(local_server, "POST", "/local-idp/token", form)
    return status, json.loads(body)


def _exchange(local_server: str, code: str, verifier: str, client_id: str = CLI_CLIENT_ID) -> tuple[int, dict]:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": client_id,
        "code_verifier": verifier,
    }
    return _token(local_server, form)


def test_discovery_names_every_endpoint_under_the_issuer(local_server: str, local_issuer: str) -> None:
    status, _, body = _call(local_server, "GET", "/local-idp/.well-known/openid-configuration")

    document = json.loads(body)
    assert status == 200
    assert document["issuer"] == local_issuer
    assert document["code_challenge_methods_supported"] == ["S256"]
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri", "end_session_endpoint"):
        assert document[name].startswith(local_issuer)


def test_a_code_with_its_verifier_gives_an_id_token_the_api_takes(local_server: str, local_issuer: str) -> None:
    user = a_user()
    verifier, challenge = _pkce()
    page_status, headers, page = _call(
        local_server, "GET", "/local-idp/authorize?" + urllib.parse.urlencode(_authorization(challenge))
    )
    assert page_status == 200
    assert b'name="email"' in page
    assert "default-src 'none'" in headers["content-security-policy"]
    code = _sign_in(local_server, _authorization(challenge), user, groups="security-approvers, ops")

    status, tokens = _exchange(local_server, code, verifier)

    assert status == 200, tokens
    _, _, jwks = _call(local_server, "GET", "/local-idp/jwks.json")
    key = jwt.PyJWK(json.loads(jwks)["keys"][0])
    claims = jwt.decode(tokens["id_token"], key.key, algorithms=["RS256"], audience=CLI_CLIENT_ID, issuer=local_issuer)
    assert (claims["email"], claims["email_verified"]) == (user, True)
    assert json.loads(claims[GROUPS_CLAIM]) == ["security-approvers", "ops"]
    assert ApiClient(local_server, tokens["id_token"]).get("/executions").status == 200
    assert ApiClient(local_server, tokens["access_token"]).get("/executions").status == 401

    refreshed_status, refreshed = _token(
        local_server,
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": CLI_CLIENT_ID},
    )
    assert refreshed_status == 200
    assert ApiClient(local_server, refreshed["id_token"]).get("/executions").status == 200


def test_a_code_works_once_and_only_with_its_verifier(local_server: str) -> None:
    verifier, challenge = _pkce()
    code = _sign_in(local_server, _authorization(challenge), a_user())

    assert _exchange(local_server, code, "not-the-verifier")[0] == 400
    code = _sign_in(local_server, _authorization(challenge), a_user())
    assert _exchange(local_server, code, verifier)[0] == 200
    status, error = _exchange(local_server, code, verifier)
    assert (status, error["error"]) == (400, "invalid_grant")


@pytest.mark.parametrize(
    ("client_id", "redirect_uri"),
    [
        (CLI_CLIENT_ID, "https://attacker.example/callback"),
        (CONSOLE_CLIENT_ID, "http://127.0.0.1:53682/callback"),
        ("unknown-client", REDIRECT),
    ],
)
def test_an_unregistered_client_or_redirect_gets_no_sign_in_page(
    local_server: str, client_id: str, redirect_uri: str
) -> None:
    _, challenge = _pkce()
    query = urllib.parse.urlencode(_authorization(challenge, client_id, redirect_uri))

    status, _, page = _call(local_server, "GET", "/local-idp/authorize?" + query)

    assert status == 400
    assert b'name="email"' not in page


def test_without_pkce_there_is_no_sign_in(local_server: str) -> None:
    params = {k: v for k, v in _authorization("x").items() if not k.startswith("code_challenge")}

    status, _, _ = _call(local_server, "GET", "/local-idp/authorize?" + urllib.parse.urlencode(params))

    assert status == 400
