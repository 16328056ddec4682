"""``execapi profile``: the environments this client talks to."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

import click

from execution_api_cli import render
from execution_api_cli.app import App, Output, output_options, pass_app
from execution_api_cli.config import (
    DEFAULT_CLIENT_ID,
    DEFAULT_PROFILE,
    DEFAULT_REDIRECT_PORT,
    Profile,
    check_profile_name,
    check_url,
    load_profiles,
    local_profile,
    write_profiles,
)
from execution_api_cli.errors import CliError
from execution_api_cli.stack import settings_from_stack
from execution_api_cli.token_cache import forget_session, load_session


@click.group()
def profile() -> None:
    """Profiles: one per environment (API base URL, identity provider, console)."""


@profile.command("add")
@click.argument("name")
@click.option("--base-url", help="The API's base URL, ending in /api/v1.")
@click.option("--issuer", help="The identity provider's issuer URL (OpenID Connect).")
@click.option("--client-id", help=f"The CLI's client id at the identity provider [default: {DEFAULT_CLIENT_ID}].")
@click.option(
    "--redirect-port", type=click.IntRange(1, 65535), help=f"Loopback port of login [default: {DEFAULT_REDIRECT_PORT}]."
)
@click.option("--console-url", help="The web console's URL (.../console): commands print each execution's page.")
@click.option(
    "--from-stack", metavar="STACK", help="Read the settings from a deployed stack's outputs (needs boto3: [aws])."
)
@click.option("--region", help="The stack's AWS region (with --from-stack; default: your AWS configuration's).")
@pass_app
def add_profile(
    app: App,
    *,
    name: str,
    base_url: str | None,
    issuer: str | None,
    client_id: str | None,
    redirect_port: int | None,
    console_url: str | None,
    from_stack: str | None,
    region: str | None,
) -> None:
    """Add or replace profile NAME: give --base-url and --issuer, or --from-stack STACK (the
    stack's ApiUrl, JwtIssuer, CliClientId and ConsoleUrl outputs); options override the stack's."""
    check_profile_name(name)
    if region and not from_stack:
        raise click.UsageError("--region goes with --from-stack")
    settings: dict[str, Any] = settings_from_stack(from_stack, region) if from_stack else {}
    given = {
        "base_url": base_url,
        "issuer": issuer,
        "client_id": client_id,
        "redirect_port": redirect_port,
        "console_url": console_url,
    }
    settings.update({key: value for key, value in given.items() if value is not None})
    for required, option in (("base_url", "--base-url"), ("issuer", "--issuer")):
        if required not in settings:
            raise click.UsageError(f"{option} is required (or --from-stack)")
    for key in ("base_url", "issuer", "console_url"):
        if key in settings:
            settings[key] = check_url(settings[key], f"--{key.replace('_', '-')}")
    profiles = load_profiles(app.config_file)
    profiles[name] = Profile(name=name, **settings)
    write_profiles(app.config_file, profiles)
    click.echo(f"Profile {name} saved in {app.config_file}.")


def _signed_in(entry: Profile) -> str:
    session = load_session(entry)
    if session is None:
        return "no"
    return "yes" if session.expires_at > time.time() or session.refresh_token else "expired"


@profile.command("list")
@output_options
@pass_app
def list_profiles(app: App, out: Output) -> None:
    """The profiles of the configuration file (and the built-in local `default` if it has none)."""
    profiles = load_profiles(app.config_file)
    built_in = DEFAULT_PROFILE not in profiles
    entries = ([local_profile()] if built_in else []) + list(profiles.values())
    if not out.table:
        render.emit_documents([asdict(entry) for entry in entries], out.format)
        return
    rows = [
        [
            entry.name + (" (built-in)" if built_in and entry.name == DEFAULT_PROFILE else ""),
            entry.base_url,
            entry.issuer or "-",
            _signed_in(entry),
        ]
        for entry in entries
    ]
    click.echo(render.table(["NAME", "BASE URL", "ISSUER", "SIGNED IN"], rows, shrinkable=("ISSUER", "BASE URL")))


@profile.command("remove")
@click.argument("name")
@pass_app
def remove_profile(app: App, name: str) -> None:
    """Remove profile NAME and its session."""
    profiles = load_profiles(app.config_file)
    if name not in profiles:
        raise CliError(f"no profile {name!r} in {app.config_file}")
    del profiles[name]
    write_profiles(app.config_file, profiles)
    forget_session(name)
    click.echo(f"Profile {name} removed.")
