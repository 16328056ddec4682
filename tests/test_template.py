"""template.yaml against the code: lint-clean, every function and state machine present."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.events import http_event
from toolkit.functions import FUNCTIONS_DIR, function_module
from toolkit.template import ROOT, load_template, placeholders, resources_of_type, substitute_definition

TEMPLATE = load_template()
FUNCTIONS = resources_of_type(TEMPLATE, "AWS::Serverless::Function")
STATE_MACHINES = resources_of_type(TEMPLATE, "AWS::Serverless::StateMachine")


def test_cfn_lint_finds_nothing():
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    # The same rule set as `make lint`.
    result = subprocess.run(
        [str(cfn_lint), "--append-rules", "cfn_lint_serverless.rules", "--", "template.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def _function_dir(resource: dict) -> str:
    return Path(resource["Properties"]["CodeUri"]).name


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_every_function_has_its_handler(logical_id):
    resource = FUNCTIONS[logical_id]
    handler = resource["Properties"].get("Handler", TEMPLATE["Globals"]["Function"]["Handler"])
    module_name, attribute = handler.rsplit(".", 1)
    code = ROOT / resource["Properties"]["CodeUri"]

    assert (code / f"{module_name}.py").is_file()
    assert code.parent == FUNCTIONS_DIR
    assert callable(getattr(function_module(_function_dir(resource)), attribute))


def test_every_function_directory_is_deployed():
    deployed = {_function_dir(resource) for resource in FUNCTIONS.values()}
    on_disk = {path.parent.name for path in FUNCTIONS_DIR.glob("*/app.py")}

    assert on_disk == deployed


HTTP_ROUTES = [
    (_function_dir(resource), event["Properties"]["Method"].upper(), event["Properties"]["Path"])
    for resource in FUNCTIONS.values()
    for event in resource["Properties"].get("Events", {}).values()
    if event["Type"] == "HttpApi"
]


@pytest.mark.parametrize(("function", "method", "path"), HTTP_ROUTES, ids=str)
def test_every_api_route_of_the_template_reaches_a_route_of_its_function(invoke, function, method, path):
    event = http_event("list_executions", body="{}")
    raw_path = path.replace("{id}", "0b7a8c1e-9d4a-4e6f-8b7c-1a2b3c4d5e6f")
    event["routeKey"] = event["requestContext"]["routeKey"] = f"{method} {path}"
    event["rawPath"] = event["requestContext"]["http"]["path"] = raw_path
    event["requestContext"]["http"]["method"] = method
    if "{id}" in path:
        event["pathParameters"] = {"id": "0b7a8c1e-9d4a-4e6f-8b7c-1a2b3c4d5e6f"}

    reply = invoke(function, event)

    # The resolver's own answer to an unknown route is a bare 404 "Not found"; anything else
    # (a domain 404, a 400 for the empty body, ...) means a route of the function took it.
    assert (reply.status, (reply.body or {}).get("message")) != (404, "Not found"), reply
    assert reply.status != 405, reply


@pytest.mark.parametrize("logical_id", STATE_MACHINES)
def test_every_state_machine_definition_is_json_with_every_placeholder_substituted(logical_id):
    properties = STATE_MACHINES[logical_id]["Properties"]
    text = (ROOT / properties["DefinitionUri"]).read_text()
    substitutions = properties.get("DefinitionSubstitutions", {})

    assert placeholders(text) == set(substitutions), "placeholders and DefinitionSubstitutions differ"
    substituted = substitute_definition(text, dict.fromkeys(substitutions, "value"))
    assert "${" not in substituted
    definition = json.loads(substituted)
    assert definition["StartAt"] in definition["States"]


def test_every_state_machine_file_is_deployed():
    deployed = {Path(resource["Properties"]["DefinitionUri"]).name for resource in STATE_MACHINES.values()}

    assert {path.name for path in (ROOT / "statemachines").glob("*.asl.json")} == deployed
