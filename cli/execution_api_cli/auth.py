"""The bearer token of a command: ``--token``, else the profile's session, renewed when it expires."""

from __future__ import annotations

import secrets
import time
import webbrowser
from collections.abc import Callable

from execution_api_cli import oidc
from execution_api_cli.config import DEFAULT_PROFILE, Profile
from execution_api_cli.errors import CliError
from execution_api_cli.token_cache import Session, load_session, save_session

RENEW_MARGIN_SECONDS = 60  # renew a little early: the token must still be valid when the API checks it


def login_hint(profile: Profile) -> str:
    return "execapi login" if profile.name == DEFAULT_PROFILE else f"execapi --profile {profile.name} login"


def bearer_token(profile: Profile) -> str:
    """The profile's ID token, renewed with the refresh token when it is about to expire."""
    session = load_session(profile)
    if session is None:
        raise CliError(f"not signed in (profile {profile.name}): run `{login_hint(profile)}`")
    if session.expires_at - RENEW_MARGIN_SECONDS > time.time():
        return session.id_token
    try:
        renewed = oidc.refresh(profile, session)
    except CliError as error:
        raise CliError(f"the session has expired and {error.message}: run `{login_hint(profile)}`") from error
    save_session(profile.name, renewed)
    return renewed.id_token


def sign_in(profile: Profile, *, open_browser: bool, timeout: float, tell: Callable[[str], None]) -> Session:
    """Authorization code + PKCE through the browser; saves and returns the session."""
    if not profile.issuer:
        raise CliError(f"profile {profile.name} has no issuer: add one with `execapi profile add {profile.name} ...`")
    endpoints = oidc.discover(profile.issuer)
    verifier, challenge = oidc.pkce_pair()
    state = secrets.token_urlsafe(24)
    receiver = oidc.LoopbackReceiver(profile.redirect_port, state)
    try:
        url = oidc.authorization_url(endpoints.authorization, profile, receiver.redirect_uri, challenge, state)
        opened = open_browser and webbrowser.open(url)
        tell(
            ("Your browser has been opened to sign in. If it did not open, visit:" if opened else "Sign in at:")
            + f"\n\n  {url}\n\nWaiting up to {timeout:g} s for the sign-in..."
        )
        answer = receiver.wait(timeout)
    finally:
        receiver.close()
    session = oidc.redeem_code(
        profile, endpoints, answer, state=state, verifier=verifier, redirect_uri=receiver.redirect_uri
    )
    save_session(profile.name, session)
    return session
