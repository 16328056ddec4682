"""What the commands raise: click prints the message on stderr (``Error: ...``) and exits with
the code, never with a traceback."""

from __future__ import annotations

import click

from execution_api_cli.exit_codes import FAILURE


class CliError(click.ClickException):
    """A failure the user can act on (exit code 1)."""

    exit_code = FAILURE


class ApiError(CliError):
    """The API answered with an error: its own message, and the status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
