"""The workflow catalogue (``config/workflows.toml``): every stage's catalogue as deployed loads and
fits its state machines, and each guard rail refuses a catalogue with an error naming the workflow."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from execution_api.infra.catalogue_config import load_catalogue
from execution_api.infra.config import ConfigFileError
from execution_api.models.catalogue import CatalogueError, WorkflowCatalogue, logical_id
from execution_api.models.errors import InvalidRequest
from toolkit.generate import read_definition
from toolkit.template import ROOT

CONFIG = ROOT / "config"
STAGES = ("dev", "staging", "prod")
READ_DEFINITION = read_definition(ROOT / "statemachines")
SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}}, "additionalProperties": False}


def workflow(**fields: object) -> dict:
    base = {
        "agentflow_id": "wf-x",
        "definition": "report.asl.json",
        "input_schema": SCHEMA,
        "starters": {"everyone": True},
        "cancel_mode": "stop",
    }
    return {**base, **fields}


def catalogue(**workflows: dict) -> WorkflowCatalogue:
    return WorkflowCatalogue.model_validate({"workflows": workflows}, context={"config_dir": CONFIG})


def refused(message: str, **workflows: dict) -> str:
    with pytest.raises(ValidationError) as raised:
        catalogue(**workflows)
    text = str(raised.value)
    assert message in text, text
    return text


@pytest.mark.parametrize("stage", STAGES)
def test_each_stages_catalogue_as_deployed_loads_and_fits_its_state_machines(stage):
    loaded = load_catalogue(CONFIG, stage)

    loaded.check_definitions(READ_DEFINITION)
    assert {"default", "batch", "report"} <= set(loaded.workflows)
    assert all(each.name == name for name, each in loaded.workflows.items())


def test_a_stage_overrides_a_workflow_field_by_field():
    prod, dev = load_catalogue(CONFIG, "prod").workflows["batch"], load_catalogue(CONFIG, "dev").workflows["batch"]

    assert (prod.enabled, dev.enabled) == (False, True)
    assert (prod.input_schema, prod.cancel_mode) == (dev.input_schema, dev.cancel_mode)


def test_the_default_and_batch_workflows_keep_their_ids_and_inputs():
    workflows = load_catalogue(CONFIG, "dev").workflows

    assert (workflows["default"].agentflow_id, workflows["default"].input_model) == ("wf-elevate", "elevation")
    assert (workflows["batch"].agentflow_id, workflows["batch"].input_schema["required"]) == ("wf-batch-job", ["items"])


def test_names_become_the_templates_resource_names():
    assert [logical_id(name) for name in ("default", "nightly-etl", "agent_run")] == [
        "DefaultWorkflow",
        "NightlyEtlWorkflow",
        "AgentRunWorkflow",
    ]


class TestGuardRails:
    def test_an_unknown_state_machine_file(self):
        loaded = catalogue(nightly=workflow(definition="nightly.asl.json"))

        with pytest.raises(CatalogueError, match=r"^workflows\.nightly\.definition: unknown state machine"):
            loaded.check_definitions(READ_DEFINITION)

    def test_a_state_machine_the_stack_does_not_deploy(self):
        loaded = catalogue(report=workflow(), nightly=workflow(agentflow_id="wf-n", definition="batch.asl.json"))

        with pytest.raises(CatalogueError, match=r"^workflows\.nightly: unknown state machine"):
            loaded.check_deployed({"report": "arn:aws:states:us-east-1:123456789012:stateMachine:r"})

    @pytest.mark.parametrize(
        ("schema", "message"),
        [
            ({"type": "strin"}, "not a valid JSON Schema: schema.type"),
            ({"type": "object", "properties": {"n": {"minLength": "x"}}}, "schema.properties.n.minLength"),
            ({"type": "object", "properties": {"n": {"type": "string", "pattern": "("}}}, "must be a valid regex"),
            ({"type": "object", "required": "n"}, "schema.required must be array"),
            (
                {"type": "object", "$schema": "https://json-schema.org/draft/2020-12/schema"},
                "only JSON Schema draft-07",
            ),
            ({"type": "array"}, 'needs "type": "object"'),
            ({"type": "object", "properties": {"record": {}}}, "record: set by the API"),
        ],
    )
    def test_a_schema_that_is_not_a_valid_json_schema_of_an_object(self, schema, message):
        text = refused(message, nightly=workflow(input_schema=schema))

        assert "workflows.nightly" in text

    def test_a_schema_file_that_is_missing_or_outside_the_configuration(self):
        refused("no file schemas/nightly.json", nightly=workflow(input_schema="schemas/nightly.json"))
        refused("under the configuration directory", nightly=workflow(input_schema="../template.yaml"))

    @pytest.mark.parametrize("other", ["Nightly", "night-ly", "night_ly"])
    def test_a_duplicate_name(self, other):
        refused(
            f"workflows.{other}: the same name as workflows.nightly",
            nightly=workflow(),
            **{other: workflow(agentflow_id="wf-y")},
        )

    def test_a_workflow_declared_twice_in_the_file(self, tmp_path):
        (tmp_path / "workflows.toml").write_text(
            '[workflows.nightly]\nagentflow_id = "a"\n\n[workflows.nightly]\nagentflow_id = "b"\n'
        )

        with pytest.raises(ConfigFileError, match=r"workflows\.toml: Cannot declare \('workflows', 'nightly'\) twice"):
            load_catalogue(tmp_path, "dev")

    def test_a_duplicate_agentflow_id(self):
        refused(
            "workflows.weekly: the same agentflow_id as workflows.nightly",
            nightly=workflow(agentflow_id="wf-report"),
            weekly=workflow(agentflow_id="WF-Report"),
        )

    def test_graceful_cancel_for_a_state_machine_without_the_protocols_wait(self):
        loaded = catalogue(nightly=workflow(cancel_mode="graceful"))

        with pytest.raises(CatalogueError, match=r"^workflows\.nightly\.cancel_mode: graceful, but report\.asl\.json"):
            loaded.check_definitions(READ_DEFINITION)

    def test_graceful_cancel_for_a_state_machine_registered_by_arn(self):
        arn = "arn:aws:states:us-east-1:123456789012:stateMachine:etl"

        refused(
            "cancel_mode: graceful needs",
            nightly=workflow(definition=None, state_machine_arn=arn, cancel_mode="graceful"),
        )

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"definition": None}, "give one state machine"),
            ({"state_machine_arn": "arn:aws:states:us-east-1:123456789012:stateMachine:x"}, "give one state machine"),
            ({"definition": None, "state_machine_arn": "arn:aws:s3:::bucket"}, "state_machine_arn"),
            ({"input_schema": None}, "give one input"),
            ({"input_model": "elevation"}, "give one input"),
            ({"input_model": "survey", "input_schema": None}, "input_model"),
            ({"starters": {}}, "starters: name everyone"),
            ({"cancel_mode": "later"}, "cancel_mode"),
            ({"definition": "../etc/passwd"}, "definition"),
            ({"tags": {"aws:owner": "x"}}, "aws:owner"),
            ({"retention_days": 0}, "retention_days"),
            ({"agentflow_id": "wf x"}, "agentflow_id"),
            ({"colour": "red"}, "colour"),
        ],
    )
    def test_an_entry_that_does_not_say_what_it_runs_or_who_starts_it(self, fields, message):
        refused(message, nightly=workflow(**fields))

    def test_an_arn_may_name_the_stack_by_placeholders(self):
        arn = "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:etl-${Stage}"

        assert (
            catalogue(nightly=workflow(definition=None, state_machine_arn=arn)).workflows["nightly"].state_machine_arn
        )

    def test_a_definition_with_a_placeholder_nothing_fills_in(self, tmp_path):
        (tmp_path / "x.asl.json").write_text(
            json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "Comment": "${Mine}", "End": True}}})
        )
        loaded = catalogue(nightly=workflow(definition="x.asl.json"))

        with pytest.raises(CatalogueError, match=r"workflows\.nightly\.definition: unknown placeholders \['Mine'\]"):
            loaded.check_definitions(read_definition(tmp_path))


class TestInputValidation:
    @pytest.fixture
    def report(self):
        return load_catalogue(CONFIG, "dev").workflows["report"]

    def test_a_valid_input_gets_the_schemas_defaults(self, report):
        assert report.validated_input({"title": "t", "period": "daily"}) == {
            "title": "t",
            "period": "daily",
            "format": "json",
            "delay_seconds": 5,
        }

    @pytest.mark.parametrize(
        ("raw", "field", "message"),
        [
            ({"period": "daily"}, "input.title", "is required"),
            (
                {"title": "t", "period": "daily", "colour": "red"},
                "input.colour",
                "is not a field of this workflow's input",
            ),
            ({"title": "", "period": "daily"}, "input.title", "must be longer than or equal to 1 characters"),
            (
                {"title": "t", "period": "daily", "delay_seconds": 3601},
                "input.delay_seconds",
                "must be smaller than or equal to 3600",
            ),
            ({"title": "t", "period": "daily", "delay_seconds": "5"}, "input.delay_seconds", "must be integer"),
        ],
    )
    def test_an_invalid_input_is_a_400_naming_the_field(self, report, raw, field, message):
        with pytest.raises(InvalidRequest) as raised:
            report.validated_input(raw)

        assert raised.value.message == f"invalid input for workflow 'report': {field}"
        assert raised.value.details == [{"field": field, "message": message}]

    def test_a_nested_field_is_named_by_its_path(self):
        batch = load_catalogue(CONFIG, "dev").workflows["batch"]

        with pytest.raises(InvalidRequest) as raised:
            batch.validated_input({"items": ["a", ""]})

        assert raised.value.details == [
            {"field": "input.items.1", "message": "must be longer than or equal to 1 characters"}
        ]

    def test_the_request_is_not_changed_by_the_defaults(self, report):
        raw = {"title": "t", "period": "daily"}

        report.validated_input(raw)

        assert raw == {"title": "t", "period": "daily"}
