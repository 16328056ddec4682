"""``execapi``: the root command, its global options, and how failures reach the user."""

from __future__ import annotations

import errno
import os
from typing import Any

import click

from execution_api_cli import __version__, access, account, approvals, executions, exit_codes, profiles, workflows
from execution_api_cli.app import App
from execution_api_cli.config import DEFAULT_PROFILE, config_path
from execution_api_cli.errors import CliError


class ExecapiGroup(click.Group):
    """Turns what is not already a user-facing error into one line on stderr: no stack traces
    (``EXECAPI_DEBUG=1`` shows them)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except OSError as error:
            if error.errno == errno.EPIPE or os.environ.get("EXECAPI_DEBUG"):
                raise  # click ends quietly on a closed pipe (`execapi list | head`)
            raise CliError(str(error)) from error
        except Exception as error:
            if os.environ.get("EXECAPI_DEBUG"):
                raise
            raise CliError(f"unexpected {type(error).__name__}: {error} (EXECAPI_DEBUG=1 shows where)") from error


@click.group(
    cls=ExecapiGroup,
    epilog=exit_codes.HELP
    + "\n\n\b\nShell completion (bash, zsh): add to ~/.bashrc or ~/.zshrc\n"
    + '  eval "$(_EXECAPI_COMPLETE=bash_source execapi)"   # zsh: zsh_source',
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--profile",
    "-p",
    "profile_name",
    envvar="EXECAPI_PROFILE",
    default=DEFAULT_PROFILE,
    show_default=True,
    show_envvar=True,
    help="The environment to talk to (execapi profile list).",
)
@click.option(
    "--config",
    "config_file",
    envvar="EXECAPI_CONFIG",
    show_envvar=True,
    type=click.Path(dir_okay=False),
    help="Configuration file [default: $XDG_CONFIG_HOME/execution-api/config.toml].",
)
@click.option(
    "--base-url", envvar="EXECAPI_BASE_URL", show_envvar=True, help="The API's base URL, instead of the profile's."
)
@click.option(
    "--token",
    envvar="EXECAPI_TOKEN",
    show_envvar=True,
    help="A bearer token (an ID token) to send instead of the profile's session: for CI.",
)
@click.version_option(__version__, prog_name="execapi")
@click.pass_context
def cli(
    ctx: click.Context, profile_name: str, config_file: str | None, base_url: str | None, token: str | None
) -> None:
    """Command-line client of the Execution Management API.

    Sign in once with `execapi login`; then see the workflows you may start, and list, watch, wait
    for, start, approve, cancel, terminate and delete executions. Every command takes -o json or
    -o jsonl for scripts: the API's own objects, unchanged.
    """
    ctx.obj = App(profile_name=profile_name, config_file=config_path(config_file), base_url=base_url, token=token)


for command in (
    account.login,
    account.logout,
    account.whoami,
    workflows.workflows,
    executions.list_executions,
    executions.show,
    executions.wait,
    executions.start,
    executions.cancel,
    executions.terminate,
    executions.delete,
    approvals.pending,
    approvals.approve,
    approvals.deny,
    access.roles,
    access.audit,
    profiles.profile,
):
    cli.add_command(command)
