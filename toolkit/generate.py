"""``python -m toolkit.generate`` (``make generate``): writes the parts of ``template.yaml`` that the
configuration (``config/``) decides, each between two markers::

    # BEGIN GENERATED <section> (make generate: from config/, do not edit)
    ...
    # END GENERATED <section>

SAM cannot read ``config/`` when it deploys, so the template carries what it needs, written here:
each section is YAML at its markers' indentation, rendered by the function ``SECTIONS`` names,
from the configuration of every stage the template allows (one template serves them all). A test
fails when the committed template differs from what this writes. The local server writes the same
sections in memory from the configuration it serves, so a workflow added by configuration alone
runs there without a template change.

The sections of the workflow catalogue (``config/workflows.toml``): a state machine per workflow
defined in ``statemachines/``, the functions' ``STATE_MACHINES``, the status-change rule's state
machines, the IAM statements that name them (each state machine's ARN and the ARN pattern of its
executions: no ``*`` beyond an execution's name), an alarm and an output per state machine.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from execution_api.infra.catalogue_config import load_catalogue
from execution_api.infra.config import ConfigFileError
from execution_api.models.catalogue import CatalogueError, Workflow, WorkflowCatalogue, logical_id, parse_definition
from execution_api.models.workflow_contract import SUBSTITUTIONS, TABLE_PLACEHOLDER
from toolkit.template import ROOT, TEMPLATE, TemplateError, parse_template

CONFIG_DIR = ROOT / "config"
STATEMACHINES_DIR = ROOT / "statemachines"
_BEGIN = re.compile(r"^(?P<indent> *)# BEGIN GENERATED (?P<name>[a-z0-9-]+)\b.*$")
_END = "# END GENERATED {name}"
_DYNAMODB_TASK = re.compile(r"^arn:aws:states:::(?:aws-sdk:)?dynamodb:(?P<action>[a-zA-Z]+)(?:\.waitForTaskToken)?$")
EXECUTIONS = "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution"


class GenerateError(Exception):
    """The configuration or the template cannot give a template; the message says where."""


@dataclass(frozen=True)
class StackWorkflow:
    """One workflow as the template sees it: every stage's entries of that name together."""

    name: str
    definition: str | None  # statemachines/<file>, a state machine of this stack
    arn: str | None  # else an existing state machine's ARN (with CloudFormation placeholders)
    definition_text: str | None = None
    graceful: bool = False  # some stage cancels it gracefully (task tokens)
    stops: bool = False  # some stage cancels it with StopExecution
    elevation: bool = False  # some stage takes elevation requests on it (decision links, grants)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def logical_id(self) -> str:
        return logical_id(self.name)

    @property
    def state_machine(self) -> str:
        """The state machine's ARN, as the template writes it."""
        return f"!Ref {self.logical_id}" if self.definition else _sub(self.arn or "")

    @property
    def executions(self) -> str:
        """The ARN pattern of its executions."""
        if self.definition:
            return f"!Sub {EXECUTIONS}:${{{self.logical_id}.Name}}:*"
        return _sub((self.arn or "").replace(":stateMachine:", ":execution:", 1) + ":*")

    @property
    def arn_in_sub(self) -> str:
        """Its ARN inside a ``!Sub`` string."""
        return f"${{{self.logical_id}}}" if self.definition else self.arn or ""


@dataclass(frozen=True)
class StackConfig:
    """What the template gets from the configuration of every stage: the union of their catalogues.
    (A section of another configuration file would add its union here.)"""

    workflows: list[StackWorkflow]


def _sub(text: str) -> str:
    return f"!Sub {text}" if "${" in text else text


def template_stages(template_text: str) -> list[str]:
    """The stages the template allows (``Parameters.Stage.AllowedValues``)."""
    stage = parse_template(template_text).get("Parameters", {}).get("Stage", {})
    stages = stage.get("AllowedValues") or [stage.get("Default")]
    if not all(isinstance(name, str) and name for name in stages):
        raise GenerateError("template.yaml: Parameters.Stage needs AllowedValues (or a Default)")
    return list(stages)


def read_definition(directory: Path) -> Callable[[str], str | None]:
    def read(file: str) -> str | None:
        path = directory / file
        return path.read_text() if path.is_file() else None

    return read


def load_stack_config(
    stages: list[str], config_dir: Path = CONFIG_DIR, statemachines_dir: Path = STATEMACHINES_DIR
) -> StackConfig:
    """Every stage's catalogue, checked against the ASL files, and their union."""
    catalogues: dict[str, WorkflowCatalogue] = {}
    read = read_definition(statemachines_dir)
    for stage in stages:
        try:
            catalogue = load_catalogue(config_dir, stage)
            catalogue.check_definitions(read)
        except (ValidationError, CatalogueError, ConfigFileError) as error:
            raise GenerateError(f"{config_dir / 'workflows.toml'}, stage {stage}: {error}") from None
        catalogues[stage] = catalogue
    return StackConfig(_union(catalogues, read))


def _union(catalogues: dict[str, WorkflowCatalogue], read: Callable[[str], str | None]) -> list[StackWorkflow]:
    entries: dict[str, list[tuple[str, Workflow]]] = {}
    for stage, catalogue in catalogues.items():
        for name, workflow in catalogue.workflows.items():
            entries.setdefault(name, []).append((stage, workflow))
    workflows = []
    for name, staged in entries.items():
        for what in ("definition", "state_machine_arn", "tags"):
            values = {stage: getattr(workflow, what) for stage, workflow in staged}
            if len({json.dumps(value, sort_keys=True) for value in values.values()}) > 1:
                raise GenerateError(
                    f"workflows.{name}.{what}: the stages differ ({values}); one workflow has one state machine,"
                    f" with one set of tags, in every stage (use ${{Stage}} in an ARN, or another workflow)"
                )
        first = staged[0][1]
        workflows.append(
            StackWorkflow(
                name=name,
                definition=first.definition,
                arn=first.state_machine_arn,
                definition_text=read(first.definition) if first.definition else None,
                graceful=any(workflow.cancel_mode == "graceful" for _, workflow in staged),
                stops=any(workflow.cancel_mode == "stop" for _, workflow in staged),
                elevation=any(workflow.input_model == "elevation" for _, workflow in staged),
                tags=dict(first.tags),
            )
        )
    files: dict[str, str] = {}
    for workflow in workflows:
        if workflow.definition:
            other = files.setdefault(workflow.definition, workflow.name)
            if other != workflow.name:
                raise GenerateError(
                    f"workflows.{workflow.name}.definition: workflows.{other} deploys {workflow.definition} too;"
                    " each workflow has a state machine of its own (copy the file)"
                )
    return workflows


# -- the sections ------------------------------------------------------------------------------


def _stack_defined(config: StackConfig) -> list[StackWorkflow]:
    return [workflow for workflow in config.workflows if workflow.definition]


def _state_machine_resource(workflow: StackWorkflow) -> list[str]:
    assert workflow.definition
    assert workflow.definition_text is not None
    where = f"workflows.{workflow.name}.definition"
    definition = parse_definition(workflow.definition_text, where)
    used = re.findall(r"\$\{([A-Za-z0-9_]+)\}", workflow.definition_text)
    lines = [
        f"{workflow.logical_id}:",
        "  Type: AWS::Serverless::StateMachine",
        "  Properties:",
        f"    Name: !Sub execution-api-${{Stage}}-{workflow.definition.removesuffix('.asl.json')}",
        f"    DefinitionUri: statemachines/{workflow.definition}",
    ]
    if used:
        lines.append("    DefinitionSubstitutions:")
        for name in sorted(set(used), key=lambda name: (name != TABLE_PLACEHOLDER, name)):
            value = "!Ref ExecutionsTable" if name == TABLE_PLACEHOLDER else SUBSTITUTIONS[name]
            lines.append(f"      {name}: {value}")
    lines += ["    Tracing:", "      Enabled: true"]
    if workflow.tags:
        lines.append("    Tags:")
        lines += [f"      {json.dumps(key)}: {json.dumps(value)}" for key, value in sorted(workflow.tags.items())]
    actions = _table_actions(definition, where)
    if actions:
        lines += [
            "    Policies:",
            "      - Statement:",
            "          - Effect: Allow",
            f"            Action: [{', '.join(actions)}]",
            "            Resource: !GetAtt ExecutionsTable.Arn",
        ]
    return lines


def _tasks(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if node.get("Type") == "Task":
            yield node
        for value in node.values():
            yield from _tasks(value)
    elif isinstance(node, list):
        for value in node:
            yield from _tasks(value)


def _table_actions(definition: dict[str, Any], where: str) -> list[str]:
    """What the state machine's tasks do to the executions table, the only thing a state machine of
    this stack may call: its role allows exactly that."""
    actions = set()
    for task in _tasks(definition):
        resource = str(task.get("Resource", ""))
        found = _DYNAMODB_TASK.match(resource)
        table = (task.get("Parameters") or {}).get("TableName")
        if not found or table != "executions-table":
            raise GenerateError(
                f"{where}: task {resource} (table {table!r}): a state machine of this stack may only call"
                f" DynamoDB on ${{{TABLE_PLACEHOLDER}}}; give yours its own role and register it by state_machine_arn"
            )
        action = found["action"]
        actions.add(f"dynamodb:{action[:1].upper()}{action[1:]}")
    return sorted(actions)


def state_machines_section(config: StackConfig) -> list[str]:
    lines: list[str] = []
    for workflow in _stack_defined(config):
        if lines:
            lines.append("")
        lines += [f"# The {workflow.name} workflow (config/workflows.toml).", *_state_machine_resource(workflow)]
    return lines


def state_machine_arns_section(config: StackConfig) -> list[str]:
    mapping = ", ".join(f'"{workflow.name}": "{workflow.arn_in_sub}"' for workflow in config.workflows)
    return [f"STATE_MACHINES: !Sub '{{{mapping}}}'"]


def status_change_section(config: StackConfig) -> list[str]:
    return ["stateMachineArn:", *(f"  - {workflow.state_machine}" for workflow in config.workflows)]


def _statement(actions: list[str], resources: list[str]) -> list[str]:
    if not resources:
        return []
    return [
        "- Effect: Allow",
        f"  Action: [{', '.join(actions)}]",
        "  Resource:",
        *(f"    - {resource}" for resource in resources),
    ]


def _machines(workflows: list[StackWorkflow]) -> list[str]:
    return [workflow.state_machine for workflow in workflows]


def _executions(workflows: list[StackWorkflow]) -> list[str]:
    return [workflow.executions for workflow in workflows]


def _graceful(config: StackConfig) -> list[StackWorkflow]:
    return [workflow for workflow in config.workflows if workflow.graceful]


def _elevations(config: StackConfig) -> list[StackWorkflow]:
    return [workflow for workflow in config.workflows if workflow.elevation]


def start_execution_policy(config: StackConfig) -> list[str]:
    return _statement(["states:StartExecution"], _machines(config.workflows))


def update_execution_policy(config: StackConfig) -> list[str]:
    return [
        *_statement(["states:StopExecution"], _executions(config.workflows)),
        *_statement(["states:SendTaskFailure"], _machines(_graceful(config))),
    ]


def cancel_execution_policy(config: StackConfig) -> list[str]:
    stopped = [workflow for workflow in config.workflows if workflow.stops]
    return [
        *_statement(["states:SendTaskFailure"], _machines(_graceful(config))),
        *_statement(["states:StopExecution"], _executions(stopped)),
    ]


def terminate_execution_policy(config: StackConfig) -> list[str]:
    return _statement(["states:StopExecution"], _executions(config.workflows))


def describe_execution_policy(config: StackConfig) -> list[str]:
    return _statement(["states:GetExecutionHistory"], _executions(config.workflows))


def signal_execution_policy(config: StackConfig) -> list[str]:
    return _statement(["states:SendTaskSuccess"], _machines(_elevations(config)))


def grant_access_policy(config: StackConfig) -> list[str]:
    return _statement(["states:SendTaskSuccess", "states:SendTaskFailure"], _machines(_elevations(config)))


def reconcile_policy(config: StackConfig) -> list[str]:
    return [
        *_statement(["states:DescribeExecution", "states:StopExecution"], _executions(config.workflows)),
        *_statement(["states:SendTaskFailure"], _machines(_graceful(config))),
    ]


def _metric(metric_id: str, metric: str, workflow: StackWorkflow) -> list[str]:
    return [
        f"  - Id: {metric_id}",
        "    ReturnData: false",
        "    MetricStat:",
        "      Metric:",
        "        Namespace: AWS/States",
        f"        MetricName: {metric}",
        f"        Dimensions: [{{Name: StateMachineArn, Value: !Ref {workflow.logical_id}}}]",
        "      Period: 300",
        "      Stat: Sum",
    ]


def alarms_section(config: StackConfig) -> list[str]:
    lines: list[str] = []
    for workflow in _stack_defined(config):
        if lines:
            lines.append("")
        metrics = _metric("failed", "ExecutionsFailed", workflow) + _metric("timedout", "ExecutionsTimedOut", workflow)
        lines += [
            f"{workflow.logical_id}FailedAlarm:",
            "  Type: AWS::CloudWatch::Alarm",
            "  Properties:",
            f"    AlarmDescription: !Sub Executions of ${{{workflow.logical_id}.Name}} failed or timed out.",
            "    Metrics:",
            *(f"    {line}" for line in metrics),
            "      - Id: total",
            "        Expression: failed + timedout",
            "        ReturnData: true",
            "    EvaluationPeriods: 1",
            "    Threshold: 5",
            "    ComparisonOperator: GreaterThanOrEqualToThreshold",
            "    TreatMissingData: notBreaching",
            "    AlarmActions: [!Ref AlarmTopic]",
        ]
    return lines


def outputs_section(config: StackConfig) -> list[str]:
    lines: list[str] = []
    for workflow in _stack_defined(config):
        lines += [
            f"{workflow.logical_id}Arn:",
            f"  Description: The state machine of the {workflow.name} workflow.",
            f"  Value: !Ref {workflow.logical_id}",
        ]
    return lines


SECTIONS: dict[str, Callable[[StackConfig], list[str]]] = {
    "workflow-state-machines": state_machines_section,
    "workflow-state-machine-arns": state_machine_arns_section,
    "status-change-state-machines": status_change_section,
    "start-execution-policy": start_execution_policy,
    "update-execution-policy": update_execution_policy,
    "cancel-execution-policy": cancel_execution_policy,
    "terminate-execution-policy": terminate_execution_policy,
    "describe-execution-policy": describe_execution_policy,
    "signal-execution-policy": signal_execution_policy,
    "grant-access-policy": grant_access_policy,
    "reconcile-policy": reconcile_policy,
    "workflow-alarms": alarms_section,
    "workflow-outputs": outputs_section,
}


# -- writing the template ----------------------------------------------------------------------


def render(template_text: str, config: StackConfig) -> str:
    """``template_text`` with every section between its markers written from ``config``."""
    lines = template_text.splitlines()
    out: list[str] = []
    seen: set[str] = set()
    index = 0
    while index < len(lines):
        line = lines[index]
        out.append(line)
        index += 1
        begin = _BEGIN.match(line)
        if not begin:
            continue
        name, indent = begin["name"], begin["indent"]
        if name not in SECTIONS:
            raise GenerateError(f"template.yaml line {index}: no section named {name!r} (known: {sorted(SECTIONS)})")
        if name in seen:
            raise GenerateError(f"template.yaml line {index}: section {name!r} appears twice")
        seen.add(name)
        end = _END.format(name=name)
        while index < len(lines) and lines[index].strip() != end:
            index += 1
        if index == len(lines):
            raise GenerateError(f"template.yaml: section {name!r} has no line {end!r}")
        out += [f"{indent}{text}" if text else "" for text in SECTIONS[name](config)]
        out.append(lines[index])
        index += 1
    missing = sorted(set(SECTIONS) - seen)
    if missing:
        raise GenerateError(f"template.yaml: no markers for the sections {missing}")
    rendered = "\n".join(out) + "\n"
    _check_logical_ids(rendered, config)
    return rendered


def _check_logical_ids(rendered: str, config: StackConfig) -> None:
    resources = parse_template(rendered).get("Resources", {})
    for workflow in _stack_defined(config):
        spec = resources.get(workflow.logical_id, {})
        if spec.get("Type") != "AWS::Serverless::StateMachine":
            raise GenerateError(f"workflows.{workflow.name}: its resource {workflow.logical_id} is taken by another")


def generate(template_text: str, config_dir: Path = CONFIG_DIR, statemachines_dir: Path = STATEMACHINES_DIR) -> str:
    """The template as ``make generate`` writes it from this configuration."""
    config = load_stack_config(template_stages(template_text), config_dir, statemachines_dir)
    return render(template_text, config)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m toolkit.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether template.yaml is up to date")
    args = parser.parse_args(argv)
    current = TEMPLATE.read_text()
    try:
        written = generate(current)
    except (GenerateError, TemplateError) as error:
        print(f"make generate: {error}", file=sys.stderr)
        return 1
    if args.check:
        if written != current:
            print("template.yaml is not what config/ gives: run `make generate`", file=sys.stderr)
            return 1
        return 0
    if written != current:
        TEMPLATE.write_text(written)
        print(f"wrote {TEMPLATE.relative_to(ROOT)}")
    else:
        print(f"{TEMPLATE.relative_to(ROOT)} is up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
