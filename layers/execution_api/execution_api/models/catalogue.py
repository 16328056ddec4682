"""The workflow catalogue (``config/workflows.toml``): which workflows a stage offers, the state
machine each runs on, its input's schema, who may start it, how a cancel reaches it, and what its
records keep. Validated when loaded (``infra.catalogue_config.workflow_catalogue``); a catalogue that does
not validate stops the function (and fails ``make test``), it is never half applied. Every error
names the workflow it is about.

Only the ``elevation`` input stays a pydantic model (``models.workflow_inputs``): its checks are
the roles policy's (which role, who may ask, for how long, with what reason or ticket), which no
JSON Schema can state. Every other input is a JSON Schema file under ``config/``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from execution_api.models.input_schemas import InputValidator, compile_input_schema, validate_input
from execution_api.models.policy import Principals
from execution_api.models.workflow_contract import (
    RESERVED_INPUT_FIELDS,
    SUBSTITUTIONS,
    TABLE_PLACEHOLDER,
    follows_cancel_protocol,
)
from execution_api.models.workflow_inputs import ElevationInput

CancelMode = Literal["graceful", "stop"]
WorkflowName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9_-]*$")]
AgentflowId = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")]
# statemachines/<file>; the state machine is named execution-api-<Stage>-<file without .asl.json>.
DefinitionFile = Annotated[str, Field(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*\.asl\.json$")]
# An existing state machine; ${AWS::Partition}, ${AWS::Region}, ${AWS::AccountId} and ${Stage} are
# filled in per stack (CloudFormation's !Sub).
StateMachineArn = Annotated[
    str,
    Field(
        max_length=256,
        pattern=(
            r"^arn:(aws[a-z-]*|\$\{AWS::Partition\}):states:([a-z0-9-]+|\$\{AWS::Region\}):"
            r"([0-9]{12}|\$\{AWS::AccountId\}):stateMachine:([A-Za-z0-9_-]|\$\{Stage\})+$"
        ),
    ),
]
TagKey = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9 _.:/=+@-]+$")]
TagValue = Annotated[str, Field(max_length=256, pattern=r"^[A-Za-z0-9 _.:/=+@-]*$")]
INPUT_MODELS = {"elevation": ElevationInput}


class CatalogueError(ValueError):
    """The catalogue does not fit the stack (its state machines); the message names the workflow."""


def _same_name(name: str) -> str:
    """Names that differ only in case, ``-`` or ``_`` would name the same resources (``MyJobWorkflow``)."""
    return re.sub(r"[-_]", "", name).casefold()


def logical_id(workflow: str) -> str:
    """The template's resource of a workflow's state machine: ``nightly-etl`` → ``NightlyEtlWorkflow``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", workflow) if part) + "Workflow"


class Workflow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: WorkflowName
    agentflow_id: AgentflowId
    description: str = Field(default="", max_length=500)
    enabled: bool = True
    definition: DefinitionFile | None = None
    state_machine_arn: StateMachineArn | None = None
    input_schema: dict[str, Any] | None = None
    input_model: Literal["elevation"] | None = None
    starters: Principals
    cancel_mode: CancelMode
    retention_days: Annotated[int | None, Field(ge=1, le=3650)] = None
    tags: Annotated[dict[TagKey, TagValue], Field(max_length=50)] = Field(default_factory=dict)
    _validator: InputValidator | None = PrivateAttr(default=None)

    @field_validator("input_schema", mode="before")
    @classmethod
    def _schema_file(cls, value: object, info: ValidationInfo) -> object:
        """A file name (under the configuration directory) is read; a table is the schema itself."""
        if not isinstance(value, str):
            return value
        directory = Path((info.context or {}).get("config_dir", "."))
        path = (directory / value).resolve()
        if not (value.endswith(".json") and path.is_relative_to(directory.resolve())):
            raise ValueError(f"must name a .json file under the configuration directory, not {value!r}")
        try:
            return json.loads(path.read_text())
        except OSError:
            raise ValueError(f"no file {value} in the configuration directory") from None
        except ValueError as error:
            raise ValueError(f"{value} is not JSON: {error}") from None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.definition is None) == (self.state_machine_arn is None):
            raise ValueError("give one state machine: definition (statemachines/<file>) or state_machine_arn")
        if (self.input_schema is None) == (self.input_model is None):
            raise ValueError("give one input: input_schema (a JSON Schema) or input_model")
        if self.starters.empty:
            raise ValueError("starters: name everyone, groups or users")
        if self.cancel_mode == "graceful" and self.state_machine_arn is not None:
            raise ValueError(
                "cancel_mode: graceful needs the cancel protocol's task-token wait on the stack's executions"
                " table, which only a state machine of this stack (definition) has: use stop"
            )
        reserved_tags = sorted(key for key in self.tags if key.casefold().startswith("aws:"))
        if reserved_tags:
            raise ValueError(f"tags: {reserved_tags[0]}: keys starting with aws: are AWS's")
        if self.input_schema is not None:
            self._check_input_schema(self.input_schema)
        return self

    def _check_input_schema(self, schema: dict[str, Any]) -> None:
        try:
            validator = compile_input_schema(schema)
        except ValueError as error:
            raise ValueError(f"input_schema: {error}") from None
        if schema.get("type") != "object":
            raise ValueError('input_schema: an input is a JSON object: the schema needs "type": "object"')
        reserved = sorted(RESERVED_INPUT_FIELDS.intersection(schema.get("properties", {})))
        if reserved:
            raise ValueError(f"input_schema: {', '.join(reserved)}: set by the API, not by the input")
        self._validator = validator

    @property
    def schema_of_input(self) -> dict[str, Any]:
        """The input's JSON Schema, as ``GET /workflows`` shows it."""
        if self.input_schema is not None:
            return self.input_schema
        assert self.input_model is not None
        return INPUT_MODELS[self.input_model].model_json_schema()

    def validated_input(self, raw: dict[str, Any]) -> dict[str, Any]:
        """A request's input by the workflow's JSON Schema (defaults filled in); a 400 naming the field."""
        assert self._validator is not None, "only a workflow with an input_schema validates this way"
        return validate_input(self._validator, raw, self.name)


class WorkflowCatalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    workflows: Annotated[dict[str, Workflow], Field(min_length=1)]

    @model_validator(mode="before")
    @classmethod
    def _name_workflows(cls, data: object) -> object:
        """Each workflow's name is its table's key."""
        if isinstance(data, dict) and isinstance(data.get("workflows"), dict):
            workflows = {
                name: {**workflow, "name": name} if isinstance(workflow, dict) else workflow
                for name, workflow in data["workflows"].items()
            }
            return {**data, "workflows": workflows}
        return data

    @model_validator(mode="after")
    def _unique(self) -> Self:
        keys: dict[str, Callable[[Workflow], str]] = {
            "name": lambda workflow: _same_name(workflow.name),
            "agentflow_id": lambda workflow: workflow.agentflow_id.casefold(),
        }
        for what, key in keys.items():
            seen: dict[str, str] = {}
            for workflow in self.workflows.values():
                other = seen.setdefault(key(workflow), workflow.name)
                if other != workflow.name:
                    raise ValueError(f"workflows.{workflow.name}: the same {what} as workflows.{other}")
        return self

    def get(self, name: str) -> Workflow | None:
        return self.workflows.get(name)

    def by_agentflow_id(self, agentflow_id: str) -> Workflow | None:
        return next((w for w in self.workflows.values() if w.agentflow_id == agentflow_id), None)

    def check_deployed(self, state_machines: Mapping[str, str]) -> None:
        """Every workflow's state machine is one the stack knows (``STATE_MACHINES``, written by
        ``make generate`` from every stage's catalogue)."""
        missing = sorted(set(self.workflows) - set(state_machines))
        if missing:
            raise CatalogueError(
                f"workflows.{missing[0]}: unknown state machine: the stack does not deploy it or name its ARN"
                " (run `make generate` and deploy)"
            )

    def check_definitions(self, read_definition: Callable[[str], str | None]) -> None:
        """Each state machine of this stack against its ASL file (``read_definition(file)``, None
        if there is none): the file exists, is JSON with only the contract's placeholders, and
        follows the cancel protocol where ``cancel_mode`` is graceful."""
        for workflow in self.workflows.values():
            if workflow.definition is None:
                continue
            where = f"workflows.{workflow.name}.definition"
            text = read_definition(workflow.definition)
            if text is None:
                raise CatalogueError(f"{where}: unknown state machine: no file statemachines/{workflow.definition}")
            definition = parse_definition(text, where)
            if workflow.cancel_mode == "graceful" and not follows_cancel_protocol(definition):
                raise CatalogueError(
                    f"workflows.{workflow.name}.cancel_mode: graceful, but {workflow.definition} has no task-token"
                    " wait that registers its token on the record and catches ExecutionCancelled: use stop,"
                    " or follow the protocol (README, 'Add your own workflow')"
                )


_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def definition_placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def parse_definition(text: str, where: str) -> dict[str, Any]:
    """An ASL file with the contract's names substituted (the table's as a stand-in); any other
    placeholder is an error, since nothing would fill it in."""
    unknown = definition_placeholders(text) - set(SUBSTITUTIONS) - {TABLE_PLACEHOLDER}
    if unknown:
        raise CatalogueError(f"{where}: unknown placeholders {sorted(unknown)} (known: {sorted(SUBSTITUTIONS)})")
    values = {**SUBSTITUTIONS, TABLE_PLACEHOLDER: "executions-table"}
    try:
        definition = json.loads(_PLACEHOLDER.sub(lambda match: values[match[1]], text))
    except ValueError as error:
        raise CatalogueError(f"{where}: not JSON: {error}") from None
    if not isinstance(definition, dict) or definition.get("StartAt") not in definition.get("States", {}):
        raise CatalogueError(f"{where}: not a state machine definition (StartAt, States)")
    return definition
