"""Signing in and out of a profile, and who you are."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click

from execution_api_cli import auth, render
from execution_api_cli.app import App, Output, output_options, pass_app
from execution_api_cli.errors import CliError
from execution_api_cli.oidc import unverified_claims
from execution_api_cli.token_cache import forget_session, load_session

# Where the identity providers put group names: the local provider (and the template's default
# GroupsClaim for it) as a JSON array in a string, Cognito as a list.
GROUP_CLAIMS = ("execution_api_groups", "cognito:groups")


def _groups(claims: dict[str, Any]) -> list[str]:
    for name in GROUP_CLAIMS:
        value = claims.get(name)
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                value = [value]
        if isinstance(value, list):
            return [str(group) for group in value]
    return []


def _expiry(claims: dict[str, Any]) -> str | None:
    exp = claims.get("exp")
    return datetime.fromtimestamp(exp, UTC).isoformat(timespec="seconds").replace("+00:00", "Z") if exp else None


@click.command()
@click.option("--no-browser", is_flag=True, help="Print the sign-in URL instead of opening a browser.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=300,
    show_default=True,
    help="Seconds to wait for the sign-in to finish.",
)
@pass_app
def login(app: App, no_browser: bool, timeout: float) -> None:
    """Sign in to the profile's identity provider (OpenID Connect, code + PKCE, in the browser).

    The answer comes back to http://localhost:<redirect_port>/callback. The session is kept in
    $XDG_CACHE_HOME/execution-api/tokens/<profile>.json (mode 0600) and renewed when it expires.
    """
    profile = app.profile()
    session = auth.sign_in(
        profile, open_browser=not no_browser, timeout=timeout, tell=lambda text: click.echo(text, err=True)
    )
    claims = unverified_claims(session.id_token)
    who = claims.get("email") or claims.get("sub")
    click.echo(f"Signed in to {profile.base_url} as {who} (profile {profile.name}).")


@click.command()
@pass_app
def logout(app: App) -> None:
    """Forget the profile's session on this machine."""
    profile = app.profile()
    if forget_session(profile.name):
        click.echo(f"Signed out of profile {profile.name}.")
    else:
        click.echo(f"Profile {profile.name} had no session.", err=True)


@click.command()
@output_options
@pass_app
def whoami(app: App, out: Output) -> None:
    """Who the API sees: the claims of the token commands send (-o json: all of them)."""
    profile = app.profile()
    if app.token:
        token = app.token
    else:
        session = load_session(profile)
        if session is None:
            raise CliError(f"not signed in (profile {profile.name}): run `{auth.login_hint(profile)}`")
        token = session.id_token
    claims = unverified_claims(token)
    if not out.table:
        render.emit_document(claims, out.format)
        return
    pairs = [
        ("profile", profile.name),
        ("api", profile.base_url),
        ("user", str(claims.get("email") or claims.get("sub") or "-")),
        ("email verified", str(claims.get("email_verified", "-")).lower()),
        ("groups", ", ".join(_groups(claims)) or "-"),
        ("issuer", str(claims.get("iss", "-"))),
        ("expires", render.instant(_expiry(claims), out.time_format)),
    ]
    click.echo(render.key_values(pairs))
