"""``execapi workflows`` and ``execapi start --set`` against the local server: what the caller may
start and its input's fields come from ``GET /workflows`` (the elevation's roles from
``GET /roles``), and a start's fields are typed by the workflow's input schema."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import Result

from tests.conftest import EXTERNAL_STARTERS, EXTERNAL_WORKFLOW
from tests.e2e.conftest import ApiClient, a_user, wait_for_state

pytestmark = pytest.mark.e2e


def test_workflows_lists_what_you_may_start_as_the_api_does(
    api: Callable[..., ApiClient], execapi: Callable[..., Result]
) -> None:
    user = a_user()

    table = execapi("workflows", user=user)
    as_json = execapi("workflows", "-o", "json", user=user)
    operator = execapi("workflows", "-o", "json", user=user, groups=[EXTERNAL_STARTERS])

    assert table.exit_code == 0, table.stderr
    header, *rows = table.stdout.splitlines()
    assert header.split()[:4] == ["NAME", "AGENTFLOW", "ID", "CANCEL"]
    assert [row.split()[:3] for row in rows] == [
        ["default", "wf-elevate", "graceful"],
        ["batch", "wf-batch-job", "graceful"],
        ["report", "wf-report", "stop"],
    ]
    assert json.loads(as_json.stdout) == api(user).get("/workflows").body["workflows"]
    assert EXTERNAL_WORKFLOW in [workflow["name"] for workflow in json.loads(operator.stdout)]


def test_workflows_name_shows_its_fields_and_the_elevations_roles(execapi: Callable[..., Result]) -> None:
    user = a_user()

    report = execapi("workflows", "report", user=user)
    elevation = execapi("workflows", "default", user=user)
    unknown = execapi("workflows", EXTERNAL_WORKFLOW, user=user)

    assert report.exit_code == 0, report.stderr
    fields = {line.split()[0]: line for line in report.stdout.splitlines()[3:]}
    assert list(fields) == ["title", "period", "format", "delay_seconds"]
    assert fields["period"].split()[:4] == ["period", "string", "yes", "daily,"]
    assert "weekly, monthly" in fields["period"]
    assert fields["delay_seconds"].split()[:3] == ["delay_seconds", "integer", "5"]
    role = next(line for line in elevation.stdout.splitlines() if line.startswith("role "))
    assert "readonly, developer, admin" in role  # GET /roles: what this user may request
    assert unknown.exit_code == 2
    assert f"no workflow '{EXTERNAL_WORKFLOW}' that you may start" in unknown.stderr


def test_start_builds_the_input_from_fields_typed_by_the_schema(
    api: Callable[..., ApiClient], execapi: Callable[..., Result]
) -> None:
    user = a_user()

    report = execapi(
        "start", "report", "--set", "title=Q4 sales", "--set", "period=weekly", "--set", "delay_seconds=0", user=user
    )
    batch = execapi("start", "batch", "-i", '{"step_seconds": 0}', "--set", "items=a, b", user=user)

    assert report.exit_code == 0, report.stderr
    assert batch.exit_code == 0, batch.stderr
    finished = wait_for_state(api(user), report.stdout.strip(), "FINISHED")
    assert finished["input"] == {"title": "Q4 sales", "period": "weekly", "delay_seconds": 0}
    assert finished["output"]["days"] == 7
    assert wait_for_state(api(user), batch.stdout.strip(), "FINISHED")["input"] == {
        "step_seconds": 0,
        "items": ["a", "b"],
    }


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (["delay_seconds=soon"], "delay_seconds: an integer, not 'soon'"),
        (["period=yearly"], "period: one of daily, weekly, monthly, not 'yearly'"),
        (["colour=red"], "'colour=red': give FIELD=VALUE, FIELD one of report's input fields (title, period, format"),
        (["title"], "'title': give FIELD=VALUE"),
    ],
)
def test_a_field_the_schema_refuses_is_a_usage_error_and_nothing_starts(
    api: Callable[..., ApiClient], execapi: Callable[..., Result], settings: list[str], message: str
) -> None:
    user = a_user()

    result = execapi("start", "report", *(arg for setting in settings for arg in ("--set", setting)), user=user)

    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert api(user).get("/executions").body["total"] == 0
