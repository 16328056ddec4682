"""Access elevation: the roles you may request, and an elevation's audit trail (admins)."""

from __future__ import annotations

import json

import click

from execution_api_cli import render
from execution_api_cli.app import App, Output, output_options, pass_app


@click.command()
@output_options
@pass_app
def roles(app: App, out: Output) -> None:
    """The roles you may request (GET /roles): who approves, for how long, what a request needs.

    Request one with `execapi start default -i '{"role": "NAME", "reason": "..."}'` (an IAM
    Identity Center role also takes "account" and, where it offers several, "permission_set").
    -o json prints the API's array of roles; -o jsonl one a line.
    """
    listed = app.api().roles()
    if not out.table:
        render.emit_documents(listed, out.format)
        return
    if not listed:
        click.echo("The policy lets you request no role.", err=True)
        return
    rows = [
        [
            role["name"],
            _approval(role),
            render.duration(role["default_duration"]),
            render.duration(role["max_duration"]),
            _needs(role),
            _pairs(role),
            role["description"],
        ]
        for role in listed
    ]
    headers = ["ROLE", "APPROVAL", "DEFAULT", "MAX", "REQUEST NEEDS", "ACCOUNT: PERMISSION SET", "DESCRIPTION"]
    click.echo(render.table(headers, rows, shrinkable=("DESCRIPTION", "ACCOUNT: PERMISSION SET")))


def _approval(role: dict) -> str:
    if role["auto_approve"]:
        return "automatic"
    groups = ", ".join(role["approver_groups"]) or "named people"
    return f"{role['required_approvals']} of {groups}"


def _needs(role: dict) -> str:
    needs = ["reason"] if role["reason_required"] else []
    if role.get("ticket_pattern"):
        needs.append(f"ticket {role['ticket_pattern']}")
    if role.get("eligible"):
        needs.append("account")
    return ", ".join(needs) or "-"


def _pairs(role: dict) -> str:
    """An IAM Identity Center role's eligible pairs (a request names one); ``-`` for others."""
    pairs = [f"{pair['account']} {pair['account_name']}: {pair['permission_set']}" for pair in role.get("eligible", [])]
    return "; ".join(pairs) or "-"


@click.command()
@click.argument("execution_id", metavar="ID")
@output_options
@pass_app
def audit(app: App, execution_id: str, out: Output) -> None:
    """An elevation's audit trail, oldest first (GET /executions/{id}/audit; admins only).

    -o json prints the API's object; -o jsonl one event a line.
    """
    trail = app.api().audit_trail(execution_id)
    if out.format == "json":
        render.emit_json(trail)
        return
    if out.format == "jsonl":
        render.emit_jsonl(trail["events"])
        return
    rows = [
        [
            render.instant(event["at"], out.time_format),
            event["type"],
            event["actor"],
            ", ".join(f"{name}={_text(value)}" for name, value in event["detail"].items()) or "-",
        ]
        for event in trail["events"]
    ]
    click.echo(render.table(["TIME", "EVENT", "BY", "DETAIL"], rows, shrinkable=("DETAIL",)))


def _text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
