"""Approvals: the caller's pending decisions, and approving or denying one."""

from __future__ import annotations

import click

from execution_api_cli import render
from execution_api_cli.api import Api
from execution_api_cli.app import App, Output, output_options, pass_app
from execution_api_cli.errors import ApiError, CliError
from execution_api_cli.links import is_link, parse_link


@click.command()
@output_options
@pass_app
def pending(app: App, out: Output) -> None:
    """Decisions waiting for you (GET /signals), with their approve and deny links.

    -o json prints the API's array of decisions; -o jsonl one a line.
    """
    signals = app.api().pending_signals()
    if not out.table:
        render.emit_documents(signals, out.format)
        return
    if not signals:
        click.echo("Nothing waits for your decision.", err=True)
        return
    rows = [
        [
            signal["guid"],
            signal["workflow"],
            signal.get("requested_by") or "-",
            f"{signal.get('approvals', 0)}/{signal.get('required_approvals', 1)}",
            render.instant(signal.get("expires_at"), out.time_format),
            render.compact(signal.get("input")),
        ]
        for signal in signals
    ]
    headers = ["GUID", "WORKFLOW", "REQUESTED BY", "APPROVALS", "EXPIRES", "REQUEST"]
    click.echo(render.table(headers, rows, shrinkable=("REQUEST", "REQUESTED BY")))
    click.echo("\nDecide with `execapi approve GUID` or `execapi deny GUID`.", err=True)


def _token_for_execution(api: Api, execution_id: str, decision: str) -> tuple[str, str]:
    """Your pending decision's link token for the execution: ``(guid, token)``."""
    for signal in api.pending_signals():
        if execution_id in (signal["guid"], signal["workflow_id"]):
            return signal["guid"], parse_link(signal[f"{decision}_url"]).token
    raise CliError(f"no decision of yours is pending for {execution_id} (see `execapi pending`)")


def _token_of_link(api: Api, link_text: str, decision: str) -> tuple[str, str]:
    """The link's ``(guid, token)``, after checking with the API that it makes this decision."""
    link = parse_link(link_text)
    try:
        inspected = api.inspect_signal(link.token)
    except ApiError as error:
        raise CliError(f"this link cannot be used: {error.message}") from error
    if inspected["decision"] != decision:
        other = "approve" if decision == "deny" else "deny"
        raise CliError(f"this is a link to {inspected['decision']}: use `execapi {other}` with it")
    return inspected["guid"], link.token


def _decide(app: App, target: str, decision: str, comment: str | None, out: Output) -> None:
    api = app.api()
    find = _token_of_link if is_link(target) else _token_for_execution
    guid, token = find(api, target, decision)
    answer = api.signal(guid, token, comment)
    if not out.table:
        render.emit_document(answer, out.format)
        return
    outcome = answer.get("outcome", "sent")
    count = f" ({answer['approvals']} of {answer['required_approvals']} approvals)" if "approvals" in answer else ""
    click.echo(f"{guid}  {decision}: {outcome}{count}")
    link = app.profile().console_link(guid)
    if link:
        click.echo(f"console: {link}", err=True)


def _decision_command(decision: str) -> click.Command:
    @click.command(
        decision,
        help=f"""{decision.capitalize()} a pending request: TARGET is the execution's guid (or ARN), or a
        decision link you received (API or console link). -o json prints the API's answer.""",
    )
    @click.argument("target")
    @click.option("--comment", "-m", help="A note kept with your decision.")
    @output_options
    @pass_app
    def command(app: App, target: str, comment: str | None, out: Output) -> None:
        _decide(app, target, decision, comment, out)

    return command


approve = _decision_command("approve")
deny = _decision_command("deny")
