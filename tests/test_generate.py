"""``make generate``: the template's sections written from every stage's workflow catalogue. The
committed template is what it writes; a workflow added by configuration alone gets its state
machine, its place in ``STATE_MACHINES`` and in the status-change rule, and IAM statements that
name its ARNs, no ``*``; configurations that cannot give one template are refused by name."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from toolkit.generate import GenerateError, generate
from toolkit.template import ROOT, TEMPLATE, parse_template, resources_of_type

TEMPLATE_TEXT = TEMPLATE.read_text()
EXTERNAL_ARN = "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:nightly-etl-${Stage}"
NIGHTLY = f"""
[workflows.nightly]
agentflow_id = "wf-nightly"
state_machine_arn = "{EXTERNAL_ARN}"
input_schema = {{ type = "object", properties = {{ date = {{ type = "string" }} }} }}
starters = {{ groups = ["data"] }}
cancel_mode = "stop"
"""
# A workflow of this stack that follows the cancel protocol (a copy of batch's state machine).
AUDITED = """
[workflows.audited-batch]
agentflow_id = "wf-audited"
definition = "audited.asl.json"
input_schema = "schemas/batch.json"
starters = { everyone = true }
cancel_mode = "graceful"
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    directory = tmp_path / "config"
    shutil.copytree(ROOT / "config", directory)
    return directory


@pytest.fixture
def statemachines(tmp_path: Path) -> Path:
    directory = tmp_path / "statemachines"
    shutil.copytree(ROOT / "statemachines", directory)
    shutil.copy(directory / "batch.asl.json", directory / "audited.asl.json")
    return directory


def _add(config: Path, text: str, stage: str | None = None) -> None:
    path = config / "workflows.toml" if stage is None else config / "stages" / stage / "workflows.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text((path.read_text() if path.exists() else "") + text)


def _statements(template: dict[str, Any], logical_id: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in template["Resources"][logical_id]["Properties"].get("Policies", [])
        if isinstance(policy, dict) and "Statement" in policy
        for statement in policy["Statement"]
    ]


def _states_resources(template: dict[str, Any], logical_id: str, action: str) -> list[Any]:
    return [
        resource
        for statement in _statements(template, logical_id)
        if action in statement["Action"]
        for resource in (statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]])
    ]


def test_the_committed_template_is_what_the_configuration_gives():
    assert generate(TEMPLATE_TEXT) == TEMPLATE_TEXT, "template.yaml drifted from config/: run `make generate`"


def test_make_generate_check_says_whether_the_template_is_up_to_date():
    result = subprocess.run(
        [sys.executable, "-m", "toolkit.generate", "--check"], cwd=ROOT, capture_output=True, text=True, check=False
    )

    assert (result.returncode, result.stderr) == (0, "")


def test_every_state_machine_action_of_the_template_names_arns_not_a_wildcard():
    template = parse_template(TEMPLATE_TEXT)
    for logical_id in resources_of_type(template, "AWS::Serverless::Function"):
        for statement in _statements(template, logical_id):
            if not any(action.startswith("states:") for action in statement["Action"]):
                continue
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            for resource in resources:
                text = json.dumps(resource)
                assert "Ref" in text or "Fn::Sub" in text, (logical_id, resource)
                if "*" in text:
                    assert re.search(r":execution:\$\{[A-Za-z]+Workflow\.Name\}:\*\"", text), (logical_id, resource)


def test_a_workflow_added_by_configuration_alone_gets_its_part_of_the_template(config, statemachines):
    _add(config, NIGHTLY)
    _add(config, AUDITED)

    template = parse_template(generate(TEMPLATE_TEXT, config, statemachines))

    machine = template["Resources"]["AuditedBatchWorkflow"]["Properties"]
    assert machine["Name"] == {"Fn::Sub": "execution-api-${Stage}-audited"}
    assert machine["DefinitionUri"] == "statemachines/audited.asl.json"
    assert machine["DefinitionSubstitutions"]["ExecutionsTable"] == {"Ref": "ExecutionsTable"}
    assert machine["DefinitionSubstitutions"]["CancelledError"] == "ExecutionCancelled"
    assert _statements(template, "AuditedBatchWorkflow") == [
        {
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
            "Resource": {"Fn::GetAtt": ["ExecutionsTable", "Arn"]},
        }
    ]
    machines = json.loads(
        template["Globals"]["Function"]["Environment"]["Variables"]["STATE_MACHINES"]["Fn::Sub"].replace("$", "")
    )
    assert machines["nightly"] == EXTERNAL_ARN.replace("$", "")
    assert machines["audited-batch"] == "{AuditedBatchWorkflow}"
    rule = template["Resources"]["SyncStatusFunction"]["Properties"]["Events"]["StatusChange"]["Properties"]
    assert {"Fn::Sub": EXTERNAL_ARN} in rule["Pattern"]["detail"]["stateMachineArn"]
    assert {"Ref": "AuditedBatchWorkflow"} in rule["Pattern"]["detail"]["stateMachineArn"]
    executions = {"Fn::Sub": EXTERNAL_ARN.replace(":stateMachine:", ":execution:") + ":*"}
    assert {"Fn::Sub": EXTERNAL_ARN} in _states_resources(template, "StartExecutionFunction", "states:StartExecution")
    assert executions in _states_resources(template, "TerminateExecutionFunction", "states:StopExecution")
    assert executions in _states_resources(template, "CancelExecutionFunction", "states:StopExecution")
    # Graceful cancels answer task tokens of this stack's state machines only; no decisions for others.
    assert {"Fn::Sub": EXTERNAL_ARN} not in _states_resources(
        template, "CancelExecutionFunction", "states:SendTaskFailure"
    )
    assert {"Ref": "AuditedBatchWorkflow"} in _states_resources(
        template, "CancelExecutionFunction", "states:SendTaskFailure"
    )
    assert _states_resources(template, "SignalExecutionFunction", "states:SendTaskSuccess") == [
        {"Ref": "DefaultWorkflow"}
    ]
    assert "AuditedBatchWorkflowFailedAlarm" in template["Resources"]
    assert template["Outputs"]["AuditedBatchWorkflowArn"]["Value"] == {"Ref": "AuditedBatchWorkflow"}


def test_the_template_has_every_stages_workflows(config, statemachines):
    _add(config, NIGHTLY, stage="prod")

    template = parse_template(generate(TEMPLATE_TEXT, config, statemachines))

    assert {"Fn::Sub": EXTERNAL_ARN} in _states_resources(template, "StartExecutionFunction", "states:StartExecution")


def test_a_generated_template_with_a_workflow_by_arn_lints_clean(config, statemachines, tmp_path):
    _add(config, NIGHTLY)
    _add(config, AUDITED)
    variant = tmp_path / "template.yaml"
    variant.write_text(generate(TEMPLATE_TEXT, config, statemachines))

    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "cfn-lint"),
            "--append-rules",
            "cfn_lint_serverless.rules",
            "--",
            str(variant),
        ],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("prod", '[workflows.report]\ndefinition = "batch.asl.json"\ncancel_mode = "graceful"\n'),
            r"workflows\.report\.definition: the stages differ",
        ),
        (
            ("prod", '[workflows.report]\ntags = { team = "finance" }\n'),
            r"workflows\.report\.tags: the stages differ",
        ),
        (
            (None, AUDITED.replace("audited.asl.json", "batch.asl.json")),
            r"workflows\.audited-batch\.definition: workflows\.batch deploys batch\.asl\.json too",
        ),
        (
            (None, AUDITED.replace("audited.asl.json", "calls-lambda.asl.json").replace("graceful", "stop")),
            r"workflows\.audited-batch\.definition: task arn:aws:states:::lambda:invoke",
        ),
        (
            ("staging", '[workflows.report]\ncancel_mode = "graceful"\n'),
            r"stage staging: workflows\.report\.cancel_mode: graceful, but report\.asl\.json",
        ),
    ],
    ids=["definition-per-stage", "tags-per-stage", "shared-file", "calls-another-service", "graceful-without-wait"],
)
def test_a_configuration_that_cannot_give_one_template_is_refused_by_name(config, statemachines, change, message):
    stage, text = change
    _add(config, text, stage)
    (statemachines / "calls-lambda.asl.json").write_text(
        json.dumps(
            {
                "StartAt": "Call",
                "States": {"Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True}},
            }
        )
    )

    with pytest.raises(GenerateError, match=message):
        generate(TEMPLATE_TEXT, config, statemachines)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda text: text.replace("# END GENERATED reconcile-policy", ""), "section 'reconcile-policy' has no line"),
        (lambda text: text.replace("GENERATED reconcile-policy", "GENERATED unknown-policy"), "no section named"),
        (lambda text: text.replace("# BEGIN GENERATED workflow-outputs", "# workflow-outputs"), "no markers for"),
    ],
    ids=["unterminated", "unknown", "missing"],
)
def test_markers_that_do_not_match_the_sections_are_refused(edit, message):
    with pytest.raises(GenerateError, match=message):
        generate(edit(TEMPLATE_TEXT))
