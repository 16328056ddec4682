"""Execution commands: list, show (--follow), wait, start, and cancel/terminate/delete by id or
by filter."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import click

from execution_api_cli import exit_codes, render
from execution_api_cli.api import MAX_PAGE_SIZE, Api
from execution_api_cli.app import ENDED_STATES, STATES, App, Output, filter_options, output_options, pass_app
from execution_api_cli.config import Profile
from execution_api_cli.errors import ApiError
from execution_api_cli.workflows import startable, with_settings

END_EVENTS = {
    "WorkflowExecutionCompleted",
    "WorkflowExecutionFailed",
    "WorkflowExecutionTimedOut",
    "WorkflowExecutionTerminated",
    "WorkflowExecutionCanceled",
}
RUNNING = "INPROGRESS"
LIST_COLUMNS = ("GUID", "WORKFLOW", "STATE", "STARTED", "DURATION", "SESSION")


def _list_rows(
    executions: Iterable[dict[str, Any]], out: Output, profile: Profile
) -> tuple[list[str], list[list[str]]]:
    headers = list(LIST_COLUMNS)
    console = profile.console_url is not None
    if console:
        headers.append("CONSOLE")
    rows = []
    for execution in executions:
        row = [
            execution["guid"],
            execution["workflow"],
            execution["state"],
            render.instant(execution["start_time"], out.time_format),
            render.duration(execution.get("execution_time")),
            execution.get("sessionId") or "-",
        ]
        if console:
            row.append(profile.console_link(execution["guid"]) or "")
        rows.append(row)
    return headers, rows


def print_executions(executions: list[dict[str, Any]], out: Output, profile: Profile) -> None:
    if not out.table:
        render.emit_documents(executions, out.format)
        return
    if not executions:
        click.echo("No executions.", err=True)
        return
    headers, rows = _list_rows(executions, out, profile)
    click.echo(render.table(headers, rows, shrinkable=("SESSION", "WORKFLOW")))


@click.command("list")
@filter_options(states=STATES, guid=True)
@click.option(
    "--limit", type=click.IntRange(min=1), default=50, show_default=True, help="At most this many (pages followed)."
)
@click.option("--all", "every", is_flag=True, help="Every matching execution (no --limit).")
@click.option(
    "--page-size", type=click.IntRange(1, MAX_PAGE_SIZE), help="Executions per request (default: --limit, at most 100)."
)
@output_options
@pass_app
def list_executions(
    app: App, *, filters: dict[str, Any], limit: int, every: bool, page_size: int | None, out: Output
) -> None:
    """Your executions, newest first, with every filter of the API.

    -o json prints one array of the API's execution objects; -o jsonl prints one a line, as the
    pages arrive.
    """
    api = app.api()
    cap = None if every else limit
    executions = api.list_executions(filters, cap, page_size or min(cap or MAX_PAGE_SIZE, MAX_PAGE_SIZE))
    if out.format == "jsonl":
        render.emit_jsonl(executions)
        return
    print_executions(list(executions), out, app.profile())


def _record_lines(execution: dict[str, Any], out: Output, profile: Profile) -> str:
    pairs = [
        ("guid", execution["guid"]),
        ("workflow", f"{execution['workflow']} ({execution.get('workflow_type', {}).get('name', '-')})"),
        ("state", f"{execution['state']} ({execution['status']})"),
        ("user", execution.get("user") or "-"),
        ("session", execution.get("sessionId") or "-"),
        ("started", render.instant(execution["start_time"], out.time_format)),
        ("stopped", render.instant(execution.get("stop_time"), out.time_format)),
        ("duration", render.duration(execution.get("execution_time"))),
        ("input", render.compact(execution.get("input"))),
        ("output", render.compact(execution.get("output"))),
        ("error", render.compact(execution.get("error"))),
    ]
    grant = execution.get("grant")
    if grant:
        pairs.append(("grant", _grant_line(grant, out)))
    if execution.get("approved_by"):
        pairs.append(("approved", ", ".join(execution["approved_by"])))
    link = profile.console_link(execution["guid"])
    if link:
        pairs.append(("console", link))
    return render.key_values(pairs)


def _grant_line(grant: dict[str, Any], out: Output) -> str:
    """An elevation's grant as the record holds it: where it stands and since or until when."""
    state = grant.get("state") or "not granted"
    line = f"{grant['role']} as {grant['target']}: {state}"
    if state == "granted":
        line += f", expires {render.instant(grant.get('expires_at'), out.time_format)}"
    elif state == "revoked":
        line += f" {render.instant(grant.get('revoked_at'), out.time_format)} ({grant.get('cause')})"
    elif state == "revoke_failed":
        line += f" ({grant.get('cause')}): the reconciler retries"
    return line


def _time_width(out: Output) -> int:
    return 24 if out.time_format == "iso" else 10


def _history_header(out: Output) -> str:
    return f"{'ID':>4}  {'TIME':<{_time_width(out)}}  {'EVENT':<28}  {'STATE':<20}  DETAIL"


def _history_line(event: dict[str, Any], started: str | None, out: Output) -> str:
    detail = " ".join(str(event[key]) for key in ("resource", "error", "cause") if event.get(key))
    line = (
        f"{event['event_id']:>4}  {render.offset(event['timestamp'], started, out.time_format):<{_time_width(out)}}  "
        f"{event['event_type']:<28}  {event.get('state') or '-':<20}  {detail}"
    )
    return render.fit_line(line.rstrip())


def _ended(described: dict[str, Any]) -> bool:
    """The history has its last event, or the record ended with no history (it never started)."""
    history = described["history"]
    if any(event["event_type"] in END_EVENTS for event in history):
        return True
    return not history and described["state"] != RUNNING


@click.command()
@click.argument("execution_id")
@click.option("--follow", "-f", is_flag=True, help="Print new history events as they happen, until the execution ends.")
@click.option(
    "--interval", type=click.FloatRange(min=0.1), default=2.0, show_default=True, help="Seconds between polls."
)
@output_options
@pass_app
def show(app: App, execution_id: str, follow: bool, interval: float, out: Output) -> None:
    """An execution (guid or ARN) with its history.

    --follow -o jsonl prints one history event a line. History times are offsets from the start
    with --time-format relative.
    """
    if follow and out.format == "json":
        raise click.UsageError("--follow streams events: use -o jsonl or -o table", click.get_current_context())
    api, profile = app.api(), app.profile()
    described = api.describe(execution_id)
    if not follow:
        if out.table:
            click.echo(_record_lines(described, out, profile))
            click.echo("\n" + _history_header(out))
            for event in described["history"]:
                click.echo(_history_line(event, described["start_time"], out))
        else:
            render.emit_document(described, out.format)
        return
    _follow(api, described, interval, out, profile)


def _follow(api: Api, described: dict[str, Any], interval: float, out: Output, profile: Profile) -> None:
    if out.table:
        click.echo(_record_lines(described, out, profile))
        click.echo("\n" + _history_header(out))
    last_seen = 0
    while True:
        fresh = [event for event in described["history"] if event["event_id"] > last_seen]
        for event in fresh:
            if out.table:
                click.echo(_history_line(event, described["start_time"], out))
            else:
                render.emit_jsonl([event])
            last_seen = event["event_id"]
        if _ended(described):
            break
        time.sleep(interval)
        described = api.describe(described["guid"])
    if out.table:
        click.echo(f"\nEnded {described['state']} ({described['status']}).")


@click.command(epilog=exit_codes.HELP)
@click.argument("execution_id")
@click.option(
    "--timeout", type=click.FloatRange(min=0), help="Give up after this many seconds (exit 124); default: no limit."
)
@click.option(
    "--interval", type=click.FloatRange(min=0.1), default=2.0, show_default=True, help="Seconds between polls."
)
@output_options
@pass_app
def wait(app: App, execution_id: str, timeout: float | None, interval: float, out: Output) -> None:
    """Block until the execution (guid or ARN) ends; the exit code tells how it ended.

    It has ended when its record's state is no longer INPROGRESS. Prints the record (-o json: the
    API's object).
    """
    api = app.api()
    deadline = None if timeout is None else time.monotonic() + timeout
    while (record := api.get_record(execution_id))["state"] == RUNNING:
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            _print_outcome(record, out)
            click.echo(f"{execution_id} is still {RUNNING} after {timeout:g} s", err=True)
            raise click.exceptions.Exit(exit_codes.WAIT_TIMED_OUT)
        time.sleep(interval if remaining is None else min(interval, remaining))
    _print_outcome(record, out)
    raise click.exceptions.Exit(exit_codes.BY_END_STATE.get(record["state"], exit_codes.FAILURE))


def _print_outcome(record: dict[str, Any], out: Output) -> None:
    if out.table:
        click.echo(f"{record['guid']}  {record['state']}  {render.duration(record.get('execution_time'))}")
    else:
        render.emit_document(record, out.format)


def _workflow_input(text: str | None, file: Any) -> Any:
    if text is not None and file is not None:
        raise click.UsageError("give the input with --input or --input-file, not both")
    source, raw = ("--input-file", file.read()) if file is not None else ("--input", text)
    if raw is None:
        return {}
    try:
        return json.loads(raw)
    except ValueError as error:
        raise click.BadParameter(f"not JSON: {error}", param_hint=f"'{source}'") from error


@click.command()
@click.argument("workflow")
@click.option("--input", "-i", "input_text", metavar="JSON", help="The workflow's input, as JSON (default {}).")
@click.option(
    "--input-file", type=click.File("r", encoding="utf-8"), help="A file holding the input as JSON; - reads stdin."
)
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="FIELD=VALUE",
    help="One field of the input, typed by the workflow's schema (items of a list: a,b,c); repeatable, over --input.",
)
@click.option("--session-id", "-s", help="A grouping key of your choice (list --session-id finds them).")
@click.option("--idempotency-key", help="Retrying with the same key and input returns the first start.")
@output_options
@pass_app
def start(
    app: App,
    *,
    workflow: str,
    input_text: str | None,
    input_file: Any,
    settings: tuple[str, ...],
    session_id: str | None,
    idempotency_key: str | None,
    out: Output,
) -> None:
    """Start WORKFLOW, one you may start (execapi workflows); prints the new execution's guid (-o
    json: the API's answer). Its fields: `execapi workflows WORKFLOW`."""
    api = app.api()
    workflow_input = with_settings(startable(api, workflow), _workflow_input(input_text, input_file), settings)
    started = api.start(workflow, workflow_input, session_id, idempotency_key)
    if not out.table:
        render.emit_document(started, out.format)
        return
    click.echo(started["run_id"])
    link = app.profile().console_link(started["run_id"])
    if link:
        click.echo(f"console: {link}", err=True)


# -- cancel, terminate, delete --------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    verb: str
    done: str
    perform: Callable[[Api, str], dict[str, Any]]
    targets_running: bool  # cancel/terminate act on running executions, delete on ended ones


CANCEL = Action("cancel", "cancelled", Api.cancel, targets_running=True)
TERMINATE = Action("terminate", "terminated", Api.terminate, targets_running=True)
DELETE = Action("delete", "deleted", Api.delete, targets_running=False)


def _targets(api: Api, action: Action, filters: dict[str, Any]) -> list[dict[str, Any]]:
    if action.targets_running:
        return list(api.list_executions({**filters, "state": RUNNING}, None, MAX_PAGE_SIZE))
    return [
        execution for execution in api.list_executions(filters, None, MAX_PAGE_SIZE) if execution["state"] != RUNNING
    ]


def executions_count(count: int) -> str:
    return f"{count} execution{'s' * (count != 1)}"


def _go_ahead(
    action: Action, targets: list[dict[str, Any]], *, dry_run: bool, yes: bool, app: App, out: Output
) -> bool:
    """Whether to act on the executions a filter chose: --dry-run shows them and stops; without
    --yes a person at a terminal sees them and confirms, a script is refused."""
    count = len(targets)
    if count == 0:
        click.echo("No execution matches.", err=True)
        return False
    if not dry_run and not yes and not sys.stdin.isatty():
        raise click.UsageError(
            f"to {action.verb} {executions_count(count)} chosen by filter, add --yes (see them first with --dry-run)"
        )
    if dry_run or not yes:
        print_executions(targets, out, app.profile())
    if dry_run:
        click.echo(f"Would {action.verb} {executions_count(count)} (--dry-run).", err=True)
        return False
    return yes or click.confirm(f"{action.verb.capitalize()} these {executions_count(count)}?", err=True)


def _report(results: list[dict[str, Any]], action: Action, out: Output) -> None:
    failed = [result for result in results if not result["ok"]]
    if out.table:
        rows = [
            [result["id"], action.done if result["ok"] else "failed", result.get("message", "")] for result in results
        ]
        click.echo(render.table(["ID", "RESULT", "MESSAGE"], rows, shrinkable=("MESSAGE",)))
    else:
        render.emit_documents(results, out.format)
    click.echo(f"{len(results) - len(failed)} of {len(results)} {action.done}.", err=True)
    if failed:
        raise click.exceptions.Exit(exit_codes.FAILURE)


def _chosen_by_filter(
    app: App, action: Action, filters: dict[str, Any], *, dry_run: bool, yes: bool, out: Output
) -> list[str]:
    """The guids the filter selects, once confirmed (none for --dry-run)."""
    targets = _targets(app.api(), action, filters)
    if not _go_ahead(action, targets, dry_run=dry_run, yes=yes, app=app, out=out):
        return []
    return [execution["guid"] for execution in targets]


def _act(
    app: App,
    action: Action,
    *,
    ids: tuple[str, ...],
    filters: dict[str, Any],
    every: bool,
    dry_run: bool,
    yes: bool,
    out: Output,
) -> None:
    if ids and (filters or every):
        raise click.UsageError("give execution ids or filters, not both")
    if not ids and not filters and not every:
        raise click.UsageError(f"give the ids to {action.verb}, a filter (--workflow, --session-id, ...) or --all")
    api = app.api()
    if ids and dry_run:
        print_executions([api.get_record(execution_id) for execution_id in ids], out, app.profile())
        click.echo(f"Would {action.verb} {executions_count(len(ids))} (--dry-run).", err=True)
        return
    chosen = list(ids) or _chosen_by_filter(app, action, filters, dry_run=dry_run, yes=yes, out=out)
    if not chosen:
        return
    results = []
    for execution_id in chosen:
        try:
            results.append({"id": execution_id, "ok": True, "response": action.perform(api, execution_id)})
        except ApiError as error:
            results.append({"id": execution_id, "ok": False, "status": error.status, "message": error.message})
    _report(results, action, out)


def _bulk_command(action: Action, summary: str) -> click.Command:
    states = () if action.targets_running else ENDED_STATES

    @click.command(action.verb, help=summary)
    @click.argument("ids", nargs=-1, metavar="[ID]...")
    @filter_options(states=states)
    @click.option("--all", "every", is_flag=True, help=f"Every execution of yours it can {action.verb}.")
    @click.option("--dry-run", is_flag=True, help=f"Show what would be {action.done}; change nothing.")
    @click.option("--yes", "-y", is_flag=True, help="Do not ask before acting on executions chosen by filter.")
    @output_options
    @pass_app
    def command(app: App, **options: Any) -> None:
        _act(app, action, **options)

    return command


BULK_HELP = """

By ids (guids or ARNs), or by filter: by filter it asks first (or takes --yes), and --dry-run
shows what would be affected. Reports each execution; exit code 1 if any failed. -o json/jsonl
report items: {"id", "ok": true, "response": <the API's answer>} or {"id", "ok": false,
"status", "message"}."""

cancel = _bulk_command(
    CANCEL, "Cancel running executions: the workflow runs its cleanup, then ends STOPPED." + BULK_HELP
)
terminate = _bulk_command(
    TERMINATE, "Terminate running executions (StopExecution: no cleanup; ends TERMINATED)." + BULK_HELP
)
delete = _bulk_command(DELETE, "Delete ended executions' records (running ones are left alone)." + BULK_HELP)
