"""The local identity provider's OpenID Connect endpoints: what Cognito's hosted UI (or any OIDC
provider) is in AWS, played by the local server so that the console and the CLI sign in the same
way everywhere.

    GET  <issuer>/.well-known/openid-configuration   discovery
    GET  <issuer>/jwks.json                          the public signing key
    GET  <issuer>/authorize                          the dev sign-in page (type a user and groups)
    POST <issuer>/authorize                          signs in: redirects with a one-time code
    POST <issuer>/token                              code + PKCE verifier, or refresh token: tokens
    GET  <issuer>/logout                             signs out: redirects to post_logout_redirect_uri

Authorization code flow with PKCE (S256) only, for public clients (no secret). Codes work once,
for ``CODE_TTL_SECONDS``; refresh tokens for ``REFRESH_TTL_SECONDS``. Both live in memory. The
ID token of ``local.auth.mint`` (``aud`` = the client id) is the bearer the API takes, as with a
Cognito user pool. It is a development tool: anyone may sign in as anyone.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from local import auth
from local.apigw import HttpRequest, HttpResponse, json_response

PATH = "/local-idp"
CODE_TTL_SECONDS = 60
REFRESH_TTL_SECONDS = 12 * 3600
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"


@dataclass(frozen=True)
class Client:
    """A public client: the console (redirects under ``redirect_prefix``) or the CLI (any
    loopback redirect, as RFC 8252 has native apps do)."""

    client_id: str
    redirect_prefix: str | None = None
    loopback: bool = False

    def allows(self, redirect_uri: str) -> bool:
        if self.redirect_prefix is not None and redirect_uri.startswith(self.redirect_prefix):
            return True
        parts = urlsplit(redirect_uri)
        return (
            self.loopback
            and parts.scheme == "http"
            and parts.hostname is not None
            and parts.netloc.split(":")[0] in _LOOPBACK_HOSTS
        )


@dataclass(frozen=True)
class _Grant:
    """Who signed in, for one client: what a code or a refresh token stands for."""

    client_id: str
    user: str
    groups: tuple[str, ...]
    email_verified: bool
    nonce: str | None
    redirect_uri: str
    code_challenge: str
    expires_at: float


def _form(request: HttpRequest) -> dict[str, str]:
    return dict(parse_qsl(request.body.decode("utf-8", errors="replace"), keep_blank_values=True))


def _query(request: HttpRequest) -> dict[str, str]:
    return dict(parse_qsl(request.raw_query, keep_blank_values=True))


def _redirect(location: str) -> HttpResponse:
    return HttpResponse(302, [("location", location), ("cache-control", "no-store")], b"")


def _oauth_error(status: int, error: str, description: str) -> HttpResponse:
    return json_response(status, {"error": error, "error_description": description}, [("cache-control", "no-store")])


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class LocalIdentityProvider:
    def __init__(self, origin: str, issuer: str, clients: list[Client], key_file: str | None = None) -> None:
        self.origin = origin
        self.issuer = issuer
        self.clients = {client.client_id: client for client in clients}
        self.key_file = key_file
        self._codes: dict[str, _Grant] = {}
        self._refresh: dict[str, _Grant] = {}
        self._lock = threading.Lock()

    def handle(self, request: HttpRequest) -> HttpResponse | None:
        """The response for a request under ``PATH``; ``None`` for any other path."""
        if not request.raw_path.startswith(PATH + "/"):
            return None
        endpoint = request.raw_path.removeprefix(PATH)
        routes = {
            ("GET", "/.well-known/openid-configuration"): self._discovery,
            ("GET", "/jwks.json"): self._jwks,
            ("GET", "/authorize"): self._sign_in_page,
            ("POST", "/authorize"): self._sign_in,
            ("POST", "/token"): self._token,
            ("GET", "/logout"): self._logout,
        }
        route = routes.get((request.method, endpoint))
        return route(request) if route else json_response(404, {"message": "Not Found"})

    def _endpoint(self, name: str) -> str:
        return f"{self.origin}{PATH}/{name}"

    def _discovery(self, request: HttpRequest) -> HttpResponse:
        return json_response(
            200,
            {
                "issuer": self.issuer,
                "authorization_endpoint": self._endpoint("authorize"),
                "token_endpoint": self._endpoint("token"),
                "jwks_uri": self._endpoint("jwks.json"),
                "end_session_endpoint": self._endpoint("logout"),
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code", "refresh_token"],
                "code_challenge_methods_supported": ["S256"],
                "scopes_supported": ["openid", "email", "profile"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": [auth.ALGORITHM],
                "token_endpoint_auth_methods_supported": ["none"],
                "claims_supported": ["sub", "email", "email_verified", auth.GROUPS_CLAIM],
            },
        )

    def _jwks(self, request: HttpRequest) -> HttpResponse:
        return json_response(200, {"keys": [auth.public_jwk(self.key_file)]})

    def _authorization_request(self, params: dict[str, str]) -> str | None:
        """Why the request cannot be served (shown to the user: the client is misconfigured)."""
        client = self.clients.get(params.get("client_id", ""))
        if client is None:
            return "unknown client_id"
        if not client.allows(params.get("redirect_uri", "")):
            return "redirect_uri is not registered for this client"
        if params.get("response_type") != "code":
            return "response_type must be code"
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return "PKCE is required: code_challenge with code_challenge_method=S256"
        return None

    def _sign_in_page(self, request: HttpRequest) -> HttpResponse:
        params = _query(request)
        problem = self._authorization_request(params)
        if problem:
            return self._page(400, f"<p>Cannot sign in: {html.escape(problem)}.</p>")
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
            for name, value in params.items()
        )
        login_hint = html.escape(params.get("login_hint", ""))
        form = f"""<h1>Local sign-in</h1>
<p>The local server's development identity provider: sign in as anyone. In AWS this page is your
identity provider's (for example the Cognito hosted UI).</p>
<form method="post" action="{PATH}/authorize">{hidden}
<label for="email">Email</label>
<input id="email" name="email" type="email" required autofocus value="{login_hint}">
<label for="groups">Groups (comma-separated)</label>
<input id="groups" name="groups" type="text" placeholder="security-approvers, execution-admins">
<label><input name="email_verified" type="checkbox" value="true" checked> Email verified</label>
<button type="submit">Sign in</button>
</form>"""
        return self._page(200, form)

    def _page(self, status: int, body: str) -> HttpResponse:
        page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Local sign-in</title>
<style>body{{font-family:system-ui,sans-serif;max-width:26rem;margin:2rem auto;padding:0 1rem}}
label,input,button{{display:block;width:100%;margin:.4rem 0;font-size:1rem}}
input[type=checkbox]{{display:inline;width:auto}}
button{{padding:.6rem;background:#1f5fbf;color:#fff;border:0;border-radius:4px}}</style></head>
<body>{body}</body></html>"""
        headers = [
            ("content-type", "text/html; charset=utf-8"),
            ("content-security-policy", _PAGE_CSP),
            ("cache-control", "no-store"),
        ]
        return HttpResponse(status, headers, page.encode())

    def _sign_in(self, request: HttpRequest) -> HttpResponse:
        params = _form(request)
        problem = self._authorization_request(params)
        email = params.get("email", "").strip()
        if problem or not email:
            return self._page(400, f"<p>Cannot sign in: {html.escape(problem or 'an email is required')}.</p>")
        groups = tuple(group.strip() for group in params.get("groups", "").split(",") if group.strip())
        grant = _Grant(
            client_id=params["client_id"],
            user=email,
            groups=groups,
            email_verified=params.get("email_verified") == "true",
            nonce=params.get("nonce") or None,
            redirect_uri=params["redirect_uri"],
            code_challenge=params["code_challenge"],
            expires_at=time.time() + CODE_TTL_SECONDS,
        )
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._codes[code] = grant
        answer = {"code": code, **({"state": params["state"]} if "state" in params else {})}
        separator = "&" if "?" in grant.redirect_uri else "?"
        return _redirect(f"{grant.redirect_uri}{separator}{urlencode(answer)}")

    def _token(self, request: HttpRequest) -> HttpResponse:
        params = _form(request)
        if params.get("grant_type") == "authorization_code":
            return self._redeem_code(params)
        if params.get("grant_type") == "refresh_token":
            with self._lock:
                grant = self._refresh.get(params.get("refresh_token", ""))
            if grant is None or grant.expires_at < time.time() or grant.client_id != params.get("client_id"):
                return _oauth_error(400, "invalid_grant", "unknown or expired refresh token")
            return self._tokens(grant, new_refresh=False)
        return _oauth_error(400, "unsupported_grant_type", "authorization_code or refresh_token")

    def _redeem_code(self, params: dict[str, str]) -> HttpResponse:
        with self._lock:
            grant = self._codes.pop(params.get("code", ""), None)
        if grant is None or grant.expires_at < time.time():
            return _oauth_error(400, "invalid_grant", "unknown, used or expired code")
        if grant.client_id != params.get("client_id") or grant.redirect_uri != params.get("redirect_uri"):
            return _oauth_error(400, "invalid_grant", "client_id or redirect_uri differ from the authorization")
        if _s256(params.get("code_verifier", "")) != grant.code_challenge:
            return _oauth_error(400, "invalid_grant", "code_verifier does not match the code_challenge")
        return self._tokens(grant, new_refresh=True)

    def _tokens(self, grant: _Grant, *, new_refresh: bool) -> HttpResponse:
        ttl = auth.token_ttl_seconds()
        id_token = auth.mint(
            grant.user,
            list(grant.groups),
            ttl_seconds=ttl,
            key_file=self.key_file,
            issuer=self.issuer,
            audience=grant.client_id,
            email_verified=grant.email_verified,
            extra_claims={"nonce": grant.nonce} if grant.nonce else None,
        )
        # Opaque, as far as the API is concerned: the ID token is the bearer (as with a Cognito user
        # pool, whose access tokens carry neither the email nor an audience), and a client that
        # sends this one gets the authorizer's 401 here too.
        body: dict[str, Any] = {
            "id_token": id_token,
            "access_token": secrets.token_urlsafe(32),
            "token_type": "Bearer",
            "expires_in": ttl,
        }
        if new_refresh:
            refresh = secrets.token_urlsafe(32)
            with self._lock:
                self._refresh[refresh] = _Grant(
                    **{**grant.__dict__, "nonce": None, "expires_at": time.time() + REFRESH_TTL_SECONDS}
                )
            body["refresh_token"] = refresh
        return HttpResponse(
            200,
            [("content-type", "application/json"), ("cache-control", "no-store"), ("pragma", "no-cache")],
            json.dumps(body).encode(),
        )

    def _logout(self, request: HttpRequest) -> HttpResponse:
        params = _query(request)
        target = params.get("post_logout_redirect_uri") or params.get("logout_uri") or ""
        client = self.clients.get(params.get("client_id", ""))
        if client is not None and target and client.allows(target):
            return _redirect(target)
        return self._page(200, "<p>Signed out.</p>")
