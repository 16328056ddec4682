"""The toolkit that builds the stack for the tests, the local server and the bench: one way to
fail on what it cannot reproduce, one builder, and the moto version its patches were checked on."""

from __future__ import annotations

import re
from importlib import metadata

import pytest

from toolkit import moto_fixes
from toolkit.aws import EmbeddedAws
from toolkit.template import ROOT, Resolver, TemplateError, substitute_definition

TABLE = {
    "Type": "AWS::DynamoDB::Table",
    "Properties": {
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
    },
}


def _with_table_name(name: object) -> dict:
    return {"Resources": {"Records": {**TABLE, "Properties": {**TABLE["Properties"], "TableName": name}}}}


def test_the_installed_moto_is_the_one_the_patches_were_checked_on():
    patches = "\n".join(f"  - {name}: {where}" for name, where in moto_fixes.PATCHES.items())
    assert metadata.version("moto") == moto_fixes.MOTO_VERSION, (
        f"moto {metadata.version('moto')} is installed; toolkit/moto_fixes.py was checked on moto "
        f"{moto_fixes.MOTO_VERSION}. Before changing MOTO_VERSION and the pin in requirements-dev.txt, re-check "
        f"each patch against the new moto's source, then run `make test-repeat` and the load test:\n{patches}"
    )


def test_the_pin_in_requirements_is_the_patched_version():
    pins = re.findall(r"^moto\[[^\]]*\]==(\S+)$", (ROOT / "requirements-dev.txt").read_text(), re.MULTILINE)

    assert pins == [moto_fixes.MOTO_VERSION]


@pytest.mark.parametrize(
    ("value", "construct"),
    [
        ({"Ref": "NoSuchThing"}, "!Ref NoSuchThing"),
        ({"Fn::GetAtt": ["NoSuchThing", "Arn"]}, "!GetAtt NoSuchThing.Arn"),
        ({"Fn::Sub": "x-${NoSuchThing}"}, "!Ref NoSuchThing"),
        ({"Fn::ImportValue": "shared-name"}, "Fn::ImportValue"),
        ({"Fn::If": ["NoSuchCondition", "a", "b"]}, "Condition NoSuchCondition"),
    ],
)
def test_an_unknown_construct_names_the_resource_and_the_construct(value, construct):
    resolver = Resolver(_with_table_name(value), "123456789012")

    with pytest.raises(TemplateError) as raised:
        resolver.resolve(value, "Records")

    assert str(raised.value).startswith("Records: ")
    assert construct in str(raised.value)


def test_the_stack_builder_fails_on_an_unknown_ref_before_creating_anything():
    with EmbeddedAws() as aws:
        with pytest.raises(TemplateError, match=r"^Records: !Ref NoSuchThing"):
            aws.deploy(template=_with_table_name({"Ref": "NoSuchThing"}))

        assert aws.client("dynamodb").list_tables()["TableNames"] == []


def test_the_stack_builder_creates_what_the_properties_say():
    with EmbeddedAws() as aws:
        resolver = aws.deploy(template=_with_table_name({"Fn::Sub": "${AWS::Region}-records"}))

        assert resolver.refs_of_type("AWS::DynamoDB::Table") == {"Records": "us-east-1-records"}
        table = aws.client("dynamodb").describe_table(TableName="us-east-1-records")["Table"]
        assert table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]


def test_a_parameter_without_default_needs_a_value():
    template = {"Parameters": {"JwtIssuer": {"Type": "String"}}, "Resources": {}}

    with pytest.raises(TemplateError, match=r"^Parameters\.JwtIssuer: no Default"):
        Resolver(template, "123456789012")
    given = Resolver(template, "123456789012", parameter_overrides={"JwtIssuer": "https://i"})
    assert given.parameters == {"JwtIssuer": "https://i"}


def test_a_state_machine_placeholder_without_a_substitution_fails():
    with pytest.raises(TemplateError, match=r"^BatchWorkflow: DefinitionSubstitutions has no value for \['Table'\]"):
        substitute_definition('{"T": "${Table}", "U": "${Other}"}', {"Other": "x"}, "BatchWorkflow")


@pytest.mark.parametrize("folder", ["tests", "local", "bench"])
def test_nothing_outside_the_toolkit_parses_the_template_or_starts_moto(folder):
    """One template loader and one stack builder: the others import the toolkit's."""
    own = [
        path.relative_to(ROOT)
        for path in (ROOT / folder).rglob("*.py")
        if path != ROOT / "tests" / "test_toolkit.py" and re.search(r"\bdecode_str\(|\bmock_aws\(", path.read_text())
    ]

    assert own == []
