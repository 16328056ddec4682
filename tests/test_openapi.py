"""The committed openapi.json is what the functions' own routes produce, and what a client
generator makes of it."""

import json
import subprocess
import sys
from pathlib import Path

from execution_api.models.domain import ExecutionState
from local.openapi import DOCUMENT, build_document, render
from tests.events import http_event


def test_committed_document_matches_the_code():
    assert render(build_document()) == DOCUMENT.read_text(), "openapi.json drifted: run `make openapi`"


def test_every_template_route_is_documented_with_the_contract_errors():
    document = json.loads(DOCUMENT.read_text())
    operations = {(path, method) for path, methods in document["paths"].items() for method in methods}
    assert ("/executions", "get") in operations
    assert ("/execution/{id}/signal", "post") in operations
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            assert "422" not in operation["responses"], (path, method)
            assert {"400", "401", "500", "503"} <= set(operation["responses"]), (path, method)
    assert document["security"] == [{"jwt": []}]


def test_a_client_generated_from_the_document_has_typed_models_and_reads_a_real_page(
    tmp_path, invoke, make_record, monkeypatch
):
    """openapi-python-client, as a client author would run it: no warning, and the page and the
    execution resource come back as models with typed fields, read from a real response."""
    (tmp_path / "config.yaml").write_text("post_hooks: []\n")  # no formatter run: not what is tested
    generator = str(Path(sys.executable).with_name("openapi-python-client"))
    command = [generator, "generate", "--path", str(DOCUMENT), "--config", "config.yaml", "--meta", "none"]
    generated = subprocess.run(
        [*command, "--output-path", "client"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "Warning" not in generated.stdout + generated.stderr, generated.stdout + generated.stderr
    monkeypatch.syspath_prepend(str(tmp_path))
    from client.models import ExecutionPage, ExecutionResource, ExecutionResourceState  # noqa: PLC0415

    record = make_record(state=ExecutionState.ERROR)

    reply = invoke("list_executions", http_event("list_executions", query={"state": "ERROR"}))
    page = ExecutionPage.from_dict(reply.body)

    assert reply.status == 200, reply
    [execution] = page.executions
    assert isinstance(execution, ExecutionResource)
    assert (execution.guid, execution.state) == (record.guid, ExecutionResourceState.ERROR)
    assert page.to_dict() == reply.body
