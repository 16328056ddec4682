"""template.yaml against the code: lint-clean and SAM-translatable with either sign-in, every function
and state machine present, the sign-in parameters checked by its Rules."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from execution_api.infra.settings import Settings
from tests.events import http_event
from tests.sam import transformed, with_defaults
from toolkit.functions import FUNCTIONS_DIR, function_module
from toolkit.template import (
    ACCOUNT_ID,
    ROOT,
    Resolver,
    load_template,
    placeholders,
    resources_of_type,
    substitute_definition,
)

TEMPLATE = load_template()
FUNCTIONS = resources_of_type(TEMPLATE, "AWS::Serverless::Function")
STATE_MACHINES = resources_of_type(TEMPLATE, "AWS::Serverless::StateMachine")


# Your own identity provider instead of the stack's user pool (CreateUserPool=false).
OWN_IDENTITY_PROVIDER = {
    "CreateUserPool": "false",
    "JwtIssuer": "https://login.example.com/",
    "JwtAudience": "console-client-id,cli-client-id",
    "ConsoleClientId": "console-client-id",
    "CliClientId": "cli-client-id",
}


def _cfn_lint(path: Path) -> subprocess.CompletedProcess:
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    # The same rule set as `make lint`. (cfn-lint's --parameters does not reach a SAM template's
    # transformed copy, so another parameter value is linted as another default.)
    return subprocess.run(
        [str(cfn_lint), "--append-rules", "cfn_lint_serverless.rules", "--", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_cfn_lint_finds_nothing():
    result = _cfn_lint(Path("template.yaml"))

    assert result.returncode == 0, result.stdout + result.stderr


# The aws-sso provider on, for what the repository's policy names (config/roles.toml).
IDENTITY_CENTER = {
    "IdentityCenterInstanceArn": "arn:aws:sso:::instance/ssoins-1234567890abcdef",
    "IdentityStoreId": "d-1234567890",
    "IdentityCenterPermissionSetArns": "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1111111111111111",
    "IdentityCenterAccountIds": "111111111111,222222222222",
}


def test_cfn_lint_finds_nothing_with_identity_center(tmp_path):
    variant = tmp_path / "template.json"
    variant.write_text(json.dumps(with_defaults(IDENTITY_CENTER)))

    result = _cfn_lint(variant)

    assert result.returncode == 0, result.stdout + result.stderr


def test_cfn_lint_finds_nothing_with_your_own_identity_provider(tmp_path):
    variant = tmp_path / "template.json"
    variant.write_text(json.dumps(with_defaults(OWN_IDENTITY_PROVIDER)))

    result = _cfn_lint(variant)

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("parameters", [{"CreateUserPool": "true"}, OWN_IDENTITY_PROVIDER], ids=["user-pool", "own"])
def test_the_sam_translator_transforms_the_template(parameters, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")

    resources = transformed(parameters)["Resources"]

    authorizer = resources["HttpApi"]["Properties"]["Body"]["components"]["securitySchemes"]["JwtAuthorizer"]
    jwt = authorizer["x-amazon-apigateway-authorizer"]["jwtConfiguration"]
    assert jwt["issuer"]["Fn::If"][0] == jwt["audience"]["Fn::If"][0] == "CreatesUserPool"
    trigger_role = resources["PreTokenGenerationFunctionRole"]
    assert trigger_role["Condition"] == "CreatesUserPool"
    assert "Policies" not in trigger_role["Properties"]  # it calls no AWS service
    settings_role = resources["AppClientSettingsFunctionRole"]["Properties"]
    (statement,) = settings_role["Policies"][0]["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["cognito-idp:DescribeUserPoolClient", "cognito-idp:UpdateUserPoolClient"]
    assert statement["Resource"] == {"Fn::GetAtt": ["UserPool", "Arn"]}


@pytest.mark.parametrize("logical_id", ["PreTokenGenerationFunction", "AppClientSettingsFunction"])
def test_the_user_pool_functions_exist_only_with_the_pool_and_keep_their_logs_for_the_retention(logical_id):
    logs = TEMPLATE["Resources"][f"{logical_id}Logs"]

    assert FUNCTIONS[logical_id]["Condition"] == logs["Condition"] == "CreatesUserPool"
    assert logs["Properties"] == {
        "LogGroupName": {"Fn::Sub": f"/aws/lambda/${{{logical_id}}}"},
        "RetentionInDays": {"Ref": "LogRetentionDays"},
    }


def _outputs(resolver: Resolver, names: set[str]) -> dict[str, str]:
    """The named outputs the stack would show (those whose condition holds)."""
    outputs = TEMPLATE["Outputs"]
    return {
        name: resolver.resolve(outputs[name]["Value"], name)
        for name in names
        if "Condition" not in outputs[name] or resolver.condition(outputs[name]["Condition"])
    }


def test_with_your_own_identity_provider_the_api_trusts_it_and_the_outputs_name_it():
    audiences = OWN_IDENTITY_PROVIDER["JwtAudience"].split(",")
    resolver = Resolver(
        load_template(), ACCOUNT_ID, parameter_overrides={**OWN_IDENTITY_PROVIDER, "JwtAudience": audiences}
    )
    resolver.register("HttpApi", "a1b2c3d4e5")
    auth = TEMPLATE["Resources"]["HttpApi"]["Properties"]["Auth"]["Authorizers"]["JwtAuthorizer"]

    assert resolver.resolve(auth["JwtConfiguration"], "HttpApi") == {
        "issuer": "https://login.example.com/",
        "audience": ["console-client-id", "cli-client-id"],
    }
    assert _outputs(
        resolver,
        {name for name in TEMPLATE["Outputs"] if name not in ("SignalTopicArn", "ExecutionsTableName")}
        - {name for name in TEMPLATE["Outputs"] if name.endswith("WorkflowArn")},
    ) == {
        "ApiUrl": "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/api/v1",
        "ConsoleUrl": "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/console/",
        "JwtIssuer": "https://login.example.com/",
        "ConsoleClientId": "console-client-id",
        "CliClientId": "cli-client-id",
    }
    assert not [
        spec
        for logical_id, spec in TEMPLATE["Resources"].items()
        if resolver.is_enabled(logical_id) and "Cognito" in spec["Type"]
    ]


def test_the_outputs_the_cli_reads_keep_their_names():
    assert {"ApiUrl", "JwtIssuer", "CliClientId", "ConsoleUrl"} <= set(TEMPLATE["Outputs"])


def _evaluate(expression: Any, parameters: dict[str, Any]) -> Any:
    """A Rules expression, as CloudFormation evaluates it against parameter values."""
    ((function, argument),) = expression.items()
    if function == "Ref":
        return parameters[argument]
    values = [_evaluate(item, parameters) if isinstance(item, dict) else item for item in argument]
    if function == "Fn::Equals":
        return values[0] == values[1]
    if function == "Fn::Not":
        return not values[0]
    if function == "Fn::And":
        return all(values)
    if function == "Fn::Contains":
        return values[1] in values[0]
    raise AssertionError(f"{function} is not evaluated here")


def _broken_rules(overrides: dict[str, str]) -> set[str]:
    """The Rules whose assertions fail for the template's defaults with these overrides."""
    parameters: dict[str, Any] = {name: spec.get("Default", "") for name, spec in TEMPLATE["Parameters"].items()}
    parameters.update(overrides)
    for name, spec in TEMPLATE["Parameters"].items():
        if spec["Type"] == "CommaDelimitedList":
            parameters[name] = [part.strip() for part in str(parameters[name]).split(",")]
    return {
        name
        for name, rule in TEMPLATE["Rules"].items()
        if _evaluate(rule["RuleCondition"], parameters)
        and not all(_evaluate(assertion["Assert"], parameters) for assertion in rule["Assertions"])
    }


@pytest.mark.parametrize(
    ("overrides", "broken"),
    [
        ({}, set()),
        (OWN_IDENTITY_PROVIDER, set()),
        ({"CreateUserPool": "false"}, {"OwnIdentityProviderIsConfigured"}),
        ({**OWN_IDENTITY_PROVIDER, "JwtIssuer": ""}, {"OwnIdentityProviderIsConfigured"}),
        (
            {**OWN_IDENTITY_PROVIDER, "JwtAudience": "console-client-id,"},
            {"OwnIdentityProviderIsConfigured", "OwnCliClientIsAnAudience"},
        ),
        ({**OWN_IDENTITY_PROVIDER, "JwtAudience": "cli-client-id"}, {"OwnConsoleClientIsAnAudience"}),
        ({**OWN_IDENTITY_PROVIDER, "ConsoleClientId": "", "CliClientId": ""}, set()),
        ({"GroupsClaim": "cognito:groups"}, {"UserPoolGroupsClaimIsAString"}),
        (IDENTITY_CENTER, set()),
        ({**IDENTITY_CENTER, "IdentityStoreId": ""}, {"IdentityCenterIsNamedInFull"}),
        ({**IDENTITY_CENTER, "IdentityCenterAccountIds": ""}, {"IdentityCenterIsNamedInFull"}),
        ({"IdentityStoreId": "d-1234567890"}, set()),  # off: the instance is not named
    ],
)
def test_the_rules_refuse_a_deployment_whose_sign_in_cannot_work(overrides, broken):
    assert _broken_rules(overrides) == broken


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
    if event["Type"] == "HttpApi" and event["Properties"]["Path"].startswith("/api/v1/")
]
# The console's pages (tests/unit/test_console_site.py, tests/handlers/test_console.py) are public.
PUBLIC_ROUTES = {
    (_function_dir(resource), event["Properties"]["Path"])
    for resource in FUNCTIONS.values()
    for event in resource["Properties"].get("Events", {}).values()
    if event["Type"] == "HttpApi" and (event["Properties"].get("Auth") or {}).get("Authorizer") == "NONE"
}


def test_only_the_console_is_public_and_every_api_route_is_under_the_base_path():
    api_routes = {(function, path) for function, _, path in HTTP_ROUTES}
    every_route = {
        (_function_dir(resource), event["Properties"]["Path"])
        for resource in FUNCTIONS.values()
        for event in resource["Properties"].get("Events", {}).values()
        if event["Type"] == "HttpApi"
    }

    assert {("console", "/console"), ("console", "/console/{proxy+}")} == PUBLIC_ROUTES
    assert every_route == api_routes | PUBLIC_ROUTES


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


@pytest.mark.parametrize("prefix", ["", "elevate-*", "a/b"])
def test_the_group_prefix_is_never_empty_so_the_iam_scope_is_never_every_group(prefix):
    """The functions may change group/<prefix>*: an empty prefix would be every group."""
    pattern = TEMPLATE["Parameters"]["ElevationGroupPrefix"]["AllowedPattern"]
    assert re.fullmatch(pattern, prefix) is None
    assert re.fullmatch(pattern, TEMPLATE["Parameters"]["ElevationGroupPrefix"]["Default"])
    with pytest.raises(ValidationError, match="ELEVATION_GROUP_PREFIX"):
        Settings.model_validate({"EXECUTIONS_TABLE": "t", "ELEVATION_GROUP_PREFIX": prefix})
