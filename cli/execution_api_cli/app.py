"""What every command shares: the selected profile, the API client, and common options."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from execution_api_cli import auth, render
from execution_api_cli.api import Api
from execution_api_cli.config import Profile, check_url, find_profile
from execution_api_cli.errors import CliError

STATES = ("INPROGRESS", "FINISHED", "ERROR", "TERMINATED", "TIMEOUT", "STOPPED")
ENDED_STATES = STATES[1:]
STATUSES = ("running", "completed", "failed", "terminated", "timed_out", "cancelled")
_AGE = re.compile(r"^(\d+)([smhd])$")
_AGE_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


@dataclass
class App:
    profile_name: str
    config_file: Path
    base_url: str | None
    token: str | None
    _api: Api | None = field(default=None, repr=False)
    _profile: Profile | None = field(default=None, repr=False)

    def profile(self) -> Profile:
        if self._profile is None:
            self._profile = self._resolve_profile()
        return self._profile

    def _resolve_profile(self) -> Profile:
        """The named profile (``--base-url`` replacing its URL), or, for a name the file lacks, just
        ``--base-url`` (with ``--token``, a script needs no configuration file)."""
        found = find_profile(self.config_file, self.profile_name)
        if found is None and self.base_url is None:
            raise CliError(
                f"no profile {self.profile_name!r} in {self.config_file}: "
                f"add it with `execapi profile add {self.profile_name} --base-url ... --issuer ...`"
            )
        if found is None:
            return Profile(self.profile_name, check_url(self.base_url or "", "--base-url"))
        return replace(found, base_url=check_url(self.base_url, "--base-url")) if self.base_url else found

    def api(self) -> Api:
        if self._api is None:
            profile = self.profile()
            if self.token:
                token = self.token
                self._api = Api(profile.base_url, lambda: token, "the API refused the token of --token/EXECAPI_TOKEN")
            else:
                hint = f"sign in again with `{auth.login_hint(profile)}`"
                self._api = Api(profile.base_url, lambda: auth.bearer_token(profile), hint)
        return self._api


pass_app = click.make_pass_decorator(App)


@dataclass(frozen=True)
class Output:
    format: str
    time_format: str

    @property
    def table(self) -> bool:
        return self.format == "table"


def output_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``-o table|json|jsonl`` and ``--time-format``, given to the command as ``out: Output``."""

    @functools.wraps(command)
    def with_output(*args: Any, output: str, time_format: str, **kwargs: Any) -> Any:
        return command(*args, out=Output(output, time_format), **kwargs)

    with_output = click.option(
        "--time-format",
        type=click.Choice(render.TIME_FORMATS),
        default="relative",
        envvar="EXECAPI_TIME_FORMAT",
        show_default=True,
        help="Times in tables: relative (5m ago) or ISO-8601 as the API gives them.",
    )(with_output)
    return click.option(
        "-o",
        "--output",
        type=click.Choice(render.FORMATS),
        default="table",
        show_default=True,
        help="table for people; json or jsonl (one object a line) carry the API's objects unchanged.",
    )(with_output)


def _instant_or_age(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--since 2h`` means two hours ago; a date or date-time goes to the API as given."""
    if value is None:
        return None
    age = _AGE.match(value.strip())
    if not age:
        return value
    moment = datetime.now(UTC) - timedelta(**{_AGE_UNITS[age.group(2)]: int(age.group(1))})
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# (parameter name, API query name, option declarations, help)
_FILTERS: list[tuple[str, str, tuple[str, ...], str]] = [
    ("workflow", "workflow", ("--workflow", "-w"), "Workflow name as started (default, batch, ...)."),
    ("agentflow_id", "agentflowId", ("--agentflow-id",), "The workflow definition's id."),
    ("agentflow_name", "agentflowName", ("--agentflow-name",), "The workflow definition's name."),
    ("session_id", "sessionId", ("--session-id", "-s"), "The sessionId given at start."),
    ("start_date", "startDate", ("--since", "--start-date"), "Started at or after: ISO-8601, or an age (30m, 2h, 7d)."),
    ("end_date", "endDate", ("--until", "--end-date"), "Started at or before: ISO-8601, or an age (30m, 2h, 7d)."),
]


def filter_options(*, states: tuple[str, ...] = (), guid: bool = False) -> Callable[[Callable[..., Any]], Any]:
    """The list filters of ``GET /executions`` as options, given to the command as ``filters``
    (API query names, only those set). ``states``: the ``--state`` choices (none: no ``--state``)."""
    filters = list(_FILTERS)
    if guid:
        filters.append(("guid", "guid", ("--guid",), "One execution by guid."))

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(command)
        def with_filters(*args: Any, **kwargs: Any) -> Any:
            chosen = {query: kwargs.pop(name) for name, query, _, _ in filters}
            if states:
                chosen["state"] = kwargs.pop("state")
            if states == STATES:
                chosen["status"] = kwargs.pop("status")
            return command(*args, filters={key: value for key, value in chosen.items() if value}, **kwargs)

        if states == STATES:
            with_filters = click.option(
                "--status", type=click.Choice(STATUSES, case_sensitive=False), help="State in workflow-control words."
            )(with_filters)
        if states:
            with_filters = click.option("--state", type=click.Choice(states, case_sensitive=False), help="State.")(
                with_filters
            )
        for name, _, declarations, text in reversed(filters):
            callback = _instant_or_age if name.endswith("_date") else None
            with_filters = click.option(*declarations, name, callback=callback, help=text)(with_filters)
        return with_filters

    return decorate
