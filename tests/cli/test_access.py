"""``execapi roles`` and ``execapi audit`` against the local server: the roles the policy lets the
caller request (config/roles.toml, plus the tests' ``flash``), and an elevation's trail for admins."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from click.testing import Result

from execution_api_cli import exit_codes
from tests.e2e.conftest import ApiClient, a_user, elevation, start, wait_for

pytestmark = pytest.mark.e2e

ADMINS = ["execution-admins"]


def rows(result: Result) -> dict[str, str]:
    """The table's lines by their first column."""
    return {line.split()[0]: line for line in result.stdout.splitlines()[1:]}


def test_roles_shows_what_the_caller_may_request_and_how_it_is_approved(
    execapi: Callable[..., Result], api: Callable[..., ApiClient]
) -> None:
    user = a_user()

    table = execapi("roles", user=user)
    listed = execapi("roles", "-o", "json", user=user)
    on_call = execapi("roles", user=user, groups=["oncall"])

    assert table.exit_code == 0, table.stderr
    assert [role["name"] for role in json.loads(listed.stdout)] == [
        role["name"] for role in api(user).get("/roles").body["roles"]
    ]
    shown = rows(table)
    assert "incident-commander" not in shown  # requesters: the oncall group only
    assert "automatic" in shown["readonly"]
    assert "1 of security-approvers" in shown["developer"]
    assert "2 of security-approvers" in shown["admin"]
    assert re.search(r"^developer\s+1 of security-approvers\s+1h\s+4h\s+reason\s", shown["developer"])
    assert "ticket ^INC-[0-9]+$" in rows(on_call)["incident-commander"]
    assert (
        "reason, account  111111111111 production: ReadOnlyAccess; 222222222222 development: PowerUserAccess; "
        "222222222222 development: AdministratorAccess" in execapi("roles", user=user, env={"COLUMNS": "400"}).stdout
    )


def test_audit_shows_an_admin_the_trail_and_refuses_others(
    execapi: Callable[..., Result], api: Callable[..., ApiClient]
) -> None:
    requester = a_user()
    guid = start(api(requester), "default", elevation("flash"))["run_id"]  # auto-approved, held 5 s
    wait_for(lambda: api(requester).get(f"/executions/{guid}").body.get("grant", {}).get("state") == "revoked")

    trail = execapi("audit", guid, user="auditor@example.com", groups=ADMINS)
    events = execapi("audit", guid, "-o", "jsonl", user="auditor@example.com", groups=ADMINS)
    refused = execapi("audit", guid, user=requester)

    assert trail.exit_code == 0, trail.stderr
    assert [json.loads(line)["type"] for line in events.stdout.splitlines()] == ["requested", "granted", "revoked"]
    lines = trail.stdout.splitlines()
    assert lines[0].split() == ["TIME", "EVENT", "BY", "DETAIL"]
    assert re.search(rf"\srequested\s+{re.escape(requester)}\s+duration_seconds=5, role=flash$", lines[1])
    assert "cause=expired" in lines[3]
    assert refused.exit_code == exit_codes.FAILURE
    assert "403" in refused.stderr, refused.stderr
