"""OpenID Connect sign-in for a native app (RFC 8252): authorization code with PKCE (S256),
answered on a loopback redirect, and the refresh-token grant.

The identity provider is the stack's issuer (a Cognito user pool in AWS, ``local/oidc.py`` for
the local server). The ID token is the API's bearer. It comes straight from the token endpoint
over the connection the client opened, so its claims are read, not verified (OIDC Core 3.1.3.7):
the API verifies it on every request.
"""

from __future__ import annotations

import base64
import hashlib
import html
import http.server
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from execution_api_cli.config import Profile
from execution_api_cli.errors import CliError
from execution_api_cli.token_cache import Session

SCOPES = "openid email profile"
HTTP_TIMEOUT_SECONDS = 30.0
CALLBACK_PATH = "/callback"


@dataclass(frozen=True)
class Endpoints:
    authorization: str
    token: str


def unverified_claims(token: str) -> dict[str, Any]:
    """The JWT's payload, for display and expiry (the API verifies the signature)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError) as error:
        raise CliError("the identity provider returned an ID token that is not a JWT") from error
    if not isinstance(claims, dict):
        raise CliError("the identity provider returned an ID token that is not a JWT")
    return claims


def _json_or_error(response: httpx.Response, what: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.is_success and isinstance(body, dict):
        return body
    if isinstance(body, dict) and "error" in body:
        reason = f"{body['error']}: {body.get('error_description', '')}".rstrip(": ")
    else:
        reason = f"HTTP {response.status_code}"
    raise CliError(f"{what} failed ({reason})")


def _post_form(url: str, form: dict[str, str], what: str) -> dict[str, Any]:
    try:
        response = httpx.post(url, data=form, timeout=HTTP_TIMEOUT_SECONDS, headers={"accept": "application/json"})
    except httpx.HTTPError as error:
        raise CliError(f"{what} failed: cannot reach {url}: {error}") from error
    return _json_or_error(response, what)


def discover(issuer: str) -> Endpoints:
    url = f"{issuer.rstrip('/')}/.well-known/openid-configuration"
    try:
        response = httpx.get(url, timeout=HTTP_TIMEOUT_SECONDS, headers={"accept": "application/json"})
    except httpx.HTTPError as error:
        raise CliError(f"cannot reach the identity provider at {url}: {error}") from error
    document = _json_or_error(response, f"OpenID Connect discovery at {url}")
    try:
        return Endpoints(document["authorization_endpoint"], document["token_endpoint"])
    except KeyError as error:
        raise CliError(f"{url}: the discovery document has no {error.args[0]}") from error


def pkce_pair() -> tuple[str, str]:
    """A code verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorization_url(endpoint: str, profile: Profile, redirect_uri: str, challenge: str, state: str) -> str:
    query = {
        "response_type": "code",
        "client_id": profile.client_id,
        "redirect_uri": redirect_uri,
        "scope": SCOPES,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"


def answer_problem(answer: dict[str, str], state: str) -> str | None:
    """Why the identity provider's answer cannot be used, if it cannot."""
    if "error" in answer:
        return f"{answer['error']}: {answer.get('error_description', '')}".rstrip(": ")
    if not secrets.compare_digest(answer.get("state", ""), state):
        return "the answer's state does not match this sign-in"
    if not answer.get("code"):
        return "the answer has no authorization code"
    return None


class _CallbackServer(http.server.HTTPServer):
    expected_state = ""
    answer: dict[str, str] | None = None
    answered: threading.Event


class _CallbackHandler(http.server.BaseHTTPRequestHandler):
    server: _CallbackServer

    def do_GET(self) -> None:
        target = urlsplit(self.path)
        if target.path != CALLBACK_PATH:
            self._reply(404, "Not found.")
            return
        answer = dict(parse_qsl(target.query))
        problem = answer_problem(answer, self.server.expected_state)
        if problem:
            self._reply(400, f"Sign-in failed: {problem}. See the terminal.")
        else:
            self._reply(200, "Signed in. You can close this tab and go back to the terminal.")
        self.server.answer = answer
        self.server.answered.set()

    def _reply(self, status: int, message: str) -> None:
        page = f"<!doctype html><title>execapi</title><p>{html.escape(message)}</p>".encode()
        self.send_response(status)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the query carries the authorization code."""


class LoopbackReceiver:
    """The redirect target ``http://localhost:<port>/callback``, served on 127.0.0.1 only
    (``localhost`` because Cognito accepts plain http for that host name only), from a thread of
    its own: a console browser that ``webbrowser`` runs in the foreground can still reach it."""

    def __init__(self, port: int, state: str) -> None:
        try:
            self._server = _CallbackServer(("127.0.0.1", port), _CallbackHandler)
        except OSError as error:
            raise CliError(
                f"cannot listen on 127.0.0.1:{port} for the sign-in answer ({error.strerror}): free the port, "
                "or set another redirect_port in the profile (and register it with the identity provider)"
            ) from error
        self._server.expected_state = state
        self._server.answered = threading.Event()
        self.redirect_uri = f"http://localhost:{self._server.server_address[1]}{CALLBACK_PATH}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        self._thread.start()

    def wait(self, timeout: float) -> dict[str, str]:
        """The callback's query parameters; other requests (a favicon) are answered and ignored."""
        if not self._server.answered.wait(timeout) or self._server.answer is None:
            raise CliError(f"no sign-in within {timeout:g} s: run `execapi login` again")
        return self._server.answer

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _session(profile: Profile, token_endpoint: str, tokens: dict[str, Any], refresh_token: str | None) -> Session:
    id_token = tokens.get("id_token")
    if not isinstance(id_token, str):
        raise CliError("the identity provider returned no id_token (is the openid scope allowed for this client?)")
    claims = unverified_claims(id_token)
    if claims.get("iss") != profile.issuer:
        raise CliError(f"the ID token's issuer is {claims.get('iss')!r}, not the profile's {profile.issuer!r}")
    expires_at = claims.get("exp") or time.time() + float(tokens.get("expires_in", 3600))
    return Session(
        issuer=profile.issuer or "",
        client_id=profile.client_id,
        token_endpoint=token_endpoint,
        id_token=id_token,
        refresh_token=tokens.get("refresh_token") or refresh_token,
        expires_at=float(expires_at),
    )


def redeem_code(
    profile: Profile, endpoints: Endpoints, answer: dict[str, str], *, state: str, verifier: str, redirect_uri: str
) -> Session:
    """Checks the callback's ``state`` and exchanges its code (with the PKCE verifier) for tokens."""
    problem = answer_problem(answer, state)
    if problem:
        raise CliError(f"sign-in failed: {problem}; run `execapi login` again")
    form = {
        "grant_type": "authorization_code",
        "code": answer["code"],
        "redirect_uri": redirect_uri,
        "client_id": profile.client_id,
        "code_verifier": verifier,
    }
    tokens = _post_form(endpoints.token, form, "the token exchange")
    return _session(profile, endpoints.token, tokens, None)


def refresh(profile: Profile, session: Session) -> Session:
    if not session.refresh_token:
        raise CliError("the session has no refresh token")
    form = {"grant_type": "refresh_token", "refresh_token": session.refresh_token, "client_id": session.client_id}
    tokens = _post_form(session.token_endpoint, form, "renewing the session")
    return _session(profile, session.token_endpoint, tokens, session.refresh_token)
