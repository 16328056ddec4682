"""``execapi`` execution commands against the local server, checked against the API itself:
list (filters, paging, JSON), wait (exit code per end state), show --follow, start, and cancel,
terminate and delete by filter."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from execution_api_cli import exit_codes
from tests.cli.conftest import LineReader
from tests.e2e.conftest import ApiClient, a_user, history, record_state, start, wait_for_state

pytestmark = pytest.mark.e2e

ENDED = ("FINISHED", "ERROR", "TIMEOUT", "STOPPED", "TERMINATED")
HANG = {"items": ["hang"]}


def start_in(client: ApiClient, session: str, workflow_input: dict) -> str:
    status, body, _ = client.post("/execution", {"workflow": "batch", "input": workflow_input, "sessionId": session})
    assert status == 201, body
    return body["run_id"]


def ended(client: ApiClient, *guids: str) -> None:
    for guid in guids:
        wait_for_state(client, guid, *ENDED)


def api_list(client: ApiClient, **query: str | int) -> list[dict]:
    status, body, _ = client.get("/executions", query=query)
    assert status == 200, body
    return body["executions"]


def lines_of(result: Result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_list_follows_pages_up_to_the_limit_and_filters_as_the_api_does(
    api: Callable[..., ApiClient], execapi: Callable[..., Result]
) -> None:
    user, session = a_user(), f"cli-{uuid.uuid4().hex[:8]}"
    client = api(user)
    finished = [start_in(client, session, {"items": ["a"]}) for _ in range(3)]
    failed = start_in(client, session, {"items": ["fail"]})
    elsewhere = start_in(client, "another-session", {"items": ["a"]})
    ended(client, *finished, failed, elsewhere)

    paged = execapi("list", "--session-id", session, "--limit", "3", "--page-size", "2", "-o", "json", user=user)
    errors = execapi("list", "--session-id", session, "--state", "error", "-o", "jsonl", user=user)
    completed = execapi("list", "-s", session, "--status", "completed", "--since", "1h", "-o", "json", user=user)
    none_yet = execapi("list", "--session-id", session, "--until", "2001-01-01", user=user)

    assert paged.exit_code == 0, paged.stderr
    assert json.loads(paged.stdout) == api_list(client, sessionId=session, limit=3)  # the API's objects, unchanged
    assert [execution["guid"] for execution in lines_of(errors)] == [failed]
    assert sorted(execution["guid"] for execution in json.loads(completed.stdout)) == sorted(finished)
    assert (none_yet.exit_code, none_yet.stdout, none_yet.stderr) == (0, "", "No executions.\n")


def test_the_list_table_fits_the_terminal_and_keeps_whole_guids(
    api: Callable[..., ApiClient], execapi: Callable[..., Result]
) -> None:
    user, session = a_user(), f"a-rather-long-session-name-{uuid.uuid4().hex}"
    client = api(user)
    guid = start_in(client, session, {"items": ["a"]})
    ended(client, guid)

    narrow = execapi("list", "--session-id", session, user=user, env={"COLUMNS": "90"})
    iso = execapi("list", "--session-id", session, "--time-format", "iso", user=user)

    header, row = narrow.stdout.splitlines()
    assert header.split()[:3] == ["GUID", "WORKFLOW", "STATE"]
    assert max(len(header), len(row)) <= 90
    assert row.startswith(guid)
    assert "FINISHED" in row
    assert "…" in row
    assert api_list(client, guid=guid)[0]["start_time"] in iso.stdout


def test_a_profile_with_a_console_prints_each_executions_console_page(
    api: Callable[..., ApiClient], execapi: Callable[..., Result], local_server: str, cli_home: Path
) -> None:
    user = a_user()
    config = cli_home / "console.toml"
    config.write_text(
        f'[profiles.default]\nbase_url = "{local_server}"\nconsole_url = "https://console.example.com/console/"\n'
    )

    started = execapi("--config", str(config), "start", "batch", "-i", '{"items": ["a"]}', user=user)
    guid = started.stdout.strip()
    wait_for_state(api(user), guid, *ENDED)
    shown = execapi("--config", str(config), "show", guid, user=user)
    listed = execapi("--config", str(config), "list", user=user)

    page = f"https://console.example.com/console/executions/{guid}"
    assert started.stderr == f"console: {page}\n"
    assert f"console   {page}" in shown.stdout.splitlines()
    assert listed.stdout.splitlines()[0].split()[-1] == "CONSOLE"
    assert listed.stdout.splitlines()[1].endswith(page)


def test_wait_exits_with_a_code_for_each_end_state(
    api: Callable[..., ApiClient], execapi: Callable[..., Result]
) -> None:
    user = a_user()
    client = api(user)
    guids = {
        "FINISHED": start(client, "batch", {"items": ["a"]})["run_id"],
        "ERROR": start(client, "batch", {"items": ["fail"]})["run_id"],
        "TIMEOUT": start(client, "batch", {"items": ["hang"], "timeout_seconds": 1})["run_id"],
        "STOPPED": start(client, "batch", HANG)["run_id"],
        "TERMINATED": start(client, "batch", HANG)["run_id"],
    }
    assert execapi("cancel", guids["STOPPED"], user=user).exit_code == 0
    assert execapi("terminate", guids["TERMINATED"], user=user).exit_code == 0

    waited = {
        state: execapi("wait", guid, "--interval", "0.2", "-o", "json", user=user) for state, guid in guids.items()
    }

    assert {state: result.exit_code for state, result in waited.items()} == {
        "FINISHED": 0,
        "ERROR": exit_codes.ERROR,
        "TIMEOUT": exit_codes.TIMEOUT,
        "STOPPED": exit_codes.STOPPED,
        "TERMINATED": exit_codes.TERMINATED,
    }
    assert {state: json.loads(result.stdout)["state"] for state, result in waited.items()} == {
        state: state for state in guids
    }


def test_wait_gives_up_at_its_timeout_with_its_own_code(
    api: Callable[..., ApiClient], execapi: Callable[..., Result]
) -> None:
    user = a_user()
    client = api(user)
    guid = start(client, "batch", HANG)["run_id"]

    waited = execapi("wait", guid, "--timeout", "0.5", "--interval", "0.1", user=user)

    assert waited.exit_code == exit_codes.WAIT_TIMED_OUT == 124
    assert waited.stderr == f"{guid} is still INPROGRESS after 0.5 s\n"
    assert record_state(client, guid) == "INPROGRESS"
    assert execapi("terminate", guid, user=user).exit_code == 0


def test_show_follow_streams_the_history_and_ends_with_the_execution(
    api: Callable[..., ApiClient],
    token_for: Callable[..., str],
    local_server: str,
    execapi_process: Callable[..., subprocess.Popen[str]],
) -> None:
    user = a_user()
    client = api(user)
    guid = start(client, "batch", HANG)["run_id"]
    process = execapi_process(
        "show",
        guid,
        "--follow",
        "-o",
        "jsonl",
        "--interval",
        "0.2",
        env={"EXECAPI_BASE_URL": local_server, "EXECAPI_TOKEN": token_for(user)},
    )
    assert process.stdout is not None
    stdout = LineReader(process.stdout)

    first = json.loads(stdout.next_line())  # printed while the execution runs
    status, body, _ = client.post(f"/execution/{guid}/cancel")
    assert status == 200, body
    rest = [json.loads(line) for line in stdout.rest()]
    process.wait(timeout=30)

    events = [first, *rest]
    assert process.returncode == 0
    assert first["event_type"] == "WorkflowExecutionStarted"
    assert events[-1]["event_type"] == "WorkflowExecutionCanceled"
    assert events == history(client, guid)  # each event once, in order, as the API serves it


def test_show_prints_the_record_and_every_history_event(
    api: Callable[..., ApiClient], execapi: Callable[..., Result]
) -> None:
    user = a_user()
    client = api(user)
    guid = start(client, "batch", {"items": ["a"]})["run_id"]
    wait_for_state(client, guid, "FINISHED")

    shown = execapi("show", guid, user=user)

    assert shown.exit_code == 0, shown.stderr
    record, table = shown.stdout.split("\n\n", 1)
    assert f"guid      {guid}" in record.splitlines()
    assert "state     FINISHED (completed)" in record.splitlines()
    lines = table.splitlines()
    assert lines[0].split() == ["ID", "TIME", "EVENT", "STATE", "DETAIL"]
    events = history(client, guid)
    assert len(lines) == 1 + len(events)
    first = lines[1].split()
    assert (first[0], first[2], first[3]) == ("1", "WorkflowExecutionStarted", "-")  # no state: a dash
    assert lines[-1].split()[2] == "WorkflowExecutionCompleted"


def test_start_takes_its_input_from_a_flag_a_file_or_stdin_and_honours_an_idempotency_key(
    api: Callable[..., ApiClient], execapi: Callable[..., Result], tmp_path: Path
) -> None:
    user = a_user()
    client = api(user)
    input_file = tmp_path / "input.json"
    input_file.write_text('{"items": ["from-file"]}')

    from_flag = execapi("start", "batch", "--input", '{"items": ["from-flag"]}', user=user)
    from_file = execapi("start", "batch", "--input-file", str(input_file), user=user)
    from_stdin = execapi("start", "batch", "--input-file", "-", input='{"items": ["from-stdin"]}', user=user)
    key = f"cli-{uuid.uuid4()}"
    first, again = (
        execapi("start", "batch", "-i", '{"items": ["a"]}', "--idempotency-key", key, "-o", "json", user=user)
        for _ in range(2)
    )

    inputs = {}
    for result in (from_flag, from_file, from_stdin):
        assert result.exit_code == 0, result.stderr
        status, record, _ = client.get(f"/executions/{result.stdout.strip()}")
        assert status == 200, record
        inputs[record["guid"]] = record["input"]["items"]
    assert sorted(inputs.values()) == [["from-file"], ["from-flag"], ["from-stdin"]]
    assert json.loads(first.stdout) == json.loads(again.stdout)
    assert json.loads(first.stdout)["status"] == "running"


def test_cancel_by_filter_shows_what_it_would_do_then_does_it_with_yes(
    api: Callable[..., ApiClient], execapi: Callable[..., Result]
) -> None:
    user, session = a_user(), f"cli-{uuid.uuid4().hex[:8]}"
    client = api(user)
    running = sorted(start_in(client, session, HANG) for _ in range(2))
    done = start_in(client, session, {"items": ["a"]})
    ended(client, done)

    dry = execapi("cancel", "--session-id", session, "--dry-run", "-o", "json", user=user)
    unconfirmed = execapi("cancel", "--session-id", session, user=user)

    assert dry.exit_code == 0, dry.stderr
    assert sorted(execution["guid"] for execution in json.loads(dry.stdout)) == running
    assert dry.stderr == "Would cancel 2 executions (--dry-run).\n"
    assert (unconfirmed.exit_code, unconfirmed.stdout) == (2, "")
    assert "to cancel 2 executions chosen by filter, add --yes" in unconfirmed.stderr
    assert [record_state(client, guid) for guid in running] == ["INPROGRESS", "INPROGRESS"]

    confirmed = execapi("cancel", "--session-id", session, "--yes", user=user)

    assert confirmed.exit_code == 0, confirmed.stderr
    report = {line.split()[0]: line.split()[1] for line in confirmed.stdout.splitlines()[1:]}
    assert report == dict.fromkeys(running, "cancelled")
    assert confirmed.stderr == "2 of 2 cancelled.\n"
    assert [record_state(client, guid) for guid in running] == ["STOPPED", "STOPPED"]

    again = execapi("cancel", *running, "-o", "jsonl", user=user)

    assert again.exit_code == 1
    assert [(item["id"], item["ok"], item["status"]) for item in lines_of(again)] == [
        (guid, False, 409) for guid in running
    ]


def test_delete_by_filter_leaves_running_executions_alone(
    api: Callable[..., ApiClient], execapi: Callable[..., Result]
) -> None:
    user, session = a_user(), f"cli-{uuid.uuid4().hex[:8]}"
    client = api(user)
    running = start_in(client, session, HANG)
    finished = start_in(client, session, {"items": ["a"]})
    ended(client, finished)

    dry = execapi("delete", "--session-id", session, "--dry-run", "-o", "jsonl", user=user)
    deleted = execapi("delete", "--session-id", session, "--yes", "-o", "json", user=user)

    assert [execution["guid"] for execution in lines_of(dry)] == [finished]
    assert deleted.exit_code == 0, deleted.stderr
    assert json.loads(deleted.stdout) == [{"id": finished, "ok": True, "response": {"raw": [], "affected": 1}}]
    assert [execution["guid"] for execution in api_list(client, sessionId=session)] == [running]
    assert execapi("terminate", running, user=user).exit_code == 0


@pytest.mark.parametrize(
    ("args", "exit_code", "message"),
    [
        (["list", "--state", "DONE"], 2, "Invalid value for '--state'"),
        (["list", "--limit", "0"], 2, "Invalid value for '--limit'"),
        (["start", "batch", "--input", "{not json"], 2, "Invalid value for '--input': not JSON"),
        (["start", "batch", "-i", "{}", "--input-file", "-"], 2, "not both"),
        (["start", "batch", "--input", '{"items": 5}'], 1, "(HTTP 400)\n  input.items: must be array"),
        (["start", "no-such-workflow"], 2, "no workflow 'no-such-workflow' that you may start (yours: default, batch"),
        (["show", "not-an-id"], 1, "id: must be an execution guid (UUID) or execution ARN (HTTP 400)"),
        (["wait", str(uuid.uuid4())], 1, "(HTTP 404)"),
        (["cancel"], 2, "give the ids to cancel, a filter"),
        (["cancel", str(uuid.uuid4()), "--workflow", "batch"], 2, "not both"),
        (["show", str(uuid.uuid4()), "--follow", "-o", "json"], 2, "use -o jsonl"),
    ],
)
def test_bad_input_gets_a_clear_message_and_no_stack_trace(
    execapi: Callable[..., Result], args: list[str], exit_code: int, message: str
) -> None:
    result = execapi(*args, user=a_user())

    assert result.exit_code == exit_code, result.output
    assert message in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.output


def test_a_refused_token_is_a_401_that_says_so(execapi: Callable[..., Result]) -> None:
    result = execapi("list", env={"EXECAPI_TOKEN": "not-a-jwt"})

    assert result.exit_code == 1
    assert result.stderr == "Error: Unauthorized (HTTP 401): the API refused the token of --token/EXECAPI_TOKEN\n"
