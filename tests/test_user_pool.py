"""The user pool of ``CreateUserPool=true``, built in moto from template.yaml's own resource
properties (custom resource function included) and read back through the Cognito API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.cognito import (
    UserPoolDeployment,
    deploy_user_pool,
    embedded_cognito,
)
from toolkit.aws import EmbeddedAws
from toolkit.functions import LambdaContext
from toolkit.template import ACCOUNT_ID

CLI_CALLBACK = "http://localhost:53682/callback"


@pytest.fixture(scope="module")
def embedded() -> Iterator[EmbeddedAws]:
    with embedded_cognito() as aws:
        yield aws


@pytest.fixture(scope="module")
def cognito(embedded: EmbeddedAws) -> Any:
    return embedded.client("cognito-idp")


@pytest.fixture(scope="module")
def deploy(embedded: EmbeddedAws):
    """Deploys the pool with these parameters. Pools share the embedded Cognito: a test that
    deploys its own names a hosted UI domain no other test uses."""

    def run(**parameters: str) -> UserPoolDeployment:
        return deploy_user_pool(embedded, LambdaContext("execution-api-test"), **parameters)

    return run


@pytest.fixture(scope="module")
def deployment(deploy) -> UserPoolDeployment:
    """The default deployment (Stage=dev), shared by the tests that only read it."""
    return deploy()


@pytest.fixture
def pool(cognito: Any, deployment: UserPoolDeployment) -> dict[str, Any]:
    return cognito.describe_user_pool(UserPoolId=deployment.ids["UserPool"])["UserPool"]


def _client(cognito: Any, deployment: UserPoolDeployment, logical_id: str) -> dict[str, Any]:
    return cognito.describe_user_pool_client(
        UserPoolId=deployment.ids["UserPool"], ClientId=deployment.ids[logical_id]
    )["UserPoolClient"]


def test_email_is_the_sign_in_name_verified_and_changed_only_once_the_new_one_is_verified(pool):
    assert pool["UsernameAttributes"] == ["email"]
    assert pool["UsernameConfiguration"] == {"CaseSensitive": False}
    assert pool["AutoVerifiedAttributes"] == ["email"]
    # Without this rule a user could switch to an approver's address, unverified, and be taken for them.
    assert pool["UserAttributeUpdateSettings"] == {"AttributesRequireVerificationBeforeUpdate": ["email"]}
    email = next(attribute for attribute in pool["SchemaAttributes"] if attribute["Name"] == "email")
    assert email["Required"] is True
    assert pool["AccountRecoverySetting"] == {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]}


def test_only_administrators_create_users(pool):
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True


def test_passwords_are_long_and_mixed_and_mfa_is_optional_with_an_authenticator_app(cognito, pool):
    assert pool["Policies"]["PasswordPolicy"] == {
        "MinimumLength": 14,
        "RequireLowercase": True,
        "RequireUppercase": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
        "PasswordHistorySize": 5,
        "TemporaryPasswordValidityDays": 3,
    }
    mfa = cognito.get_user_pool_mfa_config(UserPoolId=pool["Id"])
    assert mfa["MfaConfiguration"] == "OPTIONAL"
    assert mfa["SoftwareTokenMfaConfiguration"] == {"Enabled": True}
    assert "SmsMfaConfiguration" not in mfa


def test_mfa_can_be_required_for_everyone(cognito, deploy):
    deployment = deploy(UserPoolMfa="ON", UserPoolDomainPrefix="mfa-required")

    mfa = cognito.get_user_pool_mfa_config(UserPoolId=deployment.ids["UserPool"])
    assert (mfa["MfaConfiguration"], mfa["SoftwareTokenMfaConfiguration"]) == ("ON", {"Enabled": True})


def test_the_v2_trigger_writes_the_tokens_groups_on_a_feature_plan_that_has_it(pool, deployment):
    assert pool["LambdaConfig"] == {
        "PreTokenGenerationConfig": {
            "LambdaArn": deployment.function_arn("PreTokenGenerationFunction"),
            "LambdaVersion": "V2_0",
        }
    }
    assert pool["UserPoolTier"] in ("ESSENTIALS", "PLUS")


@pytest.mark.parametrize(("stage", "protection"), [("dev", "INACTIVE"), ("staging", "INACTIVE"), ("prod", "ACTIVE")])
def test_only_the_prod_pool_is_protected_from_deletion(cognito, deploy, stage, protection):
    deployment = deploy(Stage=stage, UserPoolDomainPrefix=f"protection-{stage}")

    pool = cognito.describe_user_pool(UserPoolId=deployment.ids["UserPool"])["UserPool"]
    assert pool["DeletionProtection"] == protection
    assert pool["Name"] == f"execution-api-{stage}"


def test_the_admin_and_approver_groups_exist(cognito, deployment):
    groups = cognito.list_groups(UserPoolId=deployment.ids["UserPool"])["Groups"]

    assert {group["GroupName"] for group in groups} == {"execution-admins", "security-approvers"}


def test_the_group_names_are_the_parameters(cognito, deploy):
    deployment = deploy(AdminGroup="ops-admins", ApproverGroup="ops-approvers", UserPoolDomainPrefix="group-names")

    groups = cognito.list_groups(UserPoolId=deployment.ids["UserPool"])["Groups"]
    assert {group["GroupName"] for group in groups} == {"ops-admins", "ops-approvers"}


def test_the_hosted_ui_domain_is_unique_per_account_and_stage_unless_named(cognito, deploy):
    default = deploy(Stage="staging")
    named = deploy(UserPoolDomainPrefix="acme-executions")

    assert default.ids["UserPoolDomain"] == f"execution-api-staging-{ACCOUNT_ID}"
    assert named.ids["UserPoolDomain"] == "acme-executions"
    for deployment in (default, named):
        domain = cognito.describe_user_pool_domain(Domain=deployment.ids["UserPoolDomain"])["DomainDescription"]
        assert domain["UserPoolId"] == deployment.ids["UserPool"]


@pytest.mark.parametrize("logical_id", ["ConsoleClient", "CliClient"])
def test_both_clients_are_public_authorization_code_clients(cognito, deployment, logical_id):
    client = _client(cognito, deployment, logical_id)

    assert "ClientSecret" not in client  # public: the console and the CLI use PKCE instead
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert client["AllowedOAuthFlows"] == ["code"]
    assert sorted(client["AllowedOAuthScopes"]) == ["email", "openid", "profile"]
    assert client["SupportedIdentityProviders"] == ["COGNITO"]
    assert client["ExplicitAuthFlows"] == ["ALLOW_REFRESH_TOKEN_AUTH"]  # no password flows outside the hosted UI
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    assert client["EnableTokenRevocation"] is True
    validity = {key: client[key] for key in ("IdTokenValidity", "AccessTokenValidity", "RefreshTokenValidity")}
    assert validity == {"IdTokenValidity": 60, "AccessTokenValidity": 60, "RefreshTokenValidity": 12}
    assert client["TokenValidityUnits"] == {"IdToken": "minutes", "AccessToken": "minutes", "RefreshToken": "hours"}


def test_the_console_client_returns_to_the_console_served_by_this_api(cognito, deployment):
    client = _client(cognito, deployment, "ConsoleClient")

    assert client["CallbackURLs"] == [f"{deployment.console_url}callback"]
    assert client["LogoutURLs"] == [deployment.console_url]
    assert client["ClientName"] == "execution-api-dev-console"
    response = deployment.custom_resource_responses["ConsoleClientSettings"]
    assert response["Status"] == "SUCCESS", response["Reason"]
    assert response["PhysicalResourceId"] == f"{deployment.ids['UserPool']}/{deployment.ids['ConsoleClient']}"
    assert response["content_type"] == ""  # what the pre-signed URL was signed with


def test_the_cli_client_returns_to_a_loopback_port(cognito, deployment):
    client = _client(cognito, deployment, "CliClient")

    assert client["CallbackURLs"] == [CLI_CALLBACK]
    assert "LogoutURLs" not in client


def test_the_authorizer_trusts_this_pool_for_id_tokens_of_both_clients(deployment):
    http_api = deployment.resolver.template["Resources"]["HttpApi"]["Properties"]
    jwt = deployment.resolver.resolve(http_api["Auth"]["Authorizers"]["JwtAuthorizer"]["JwtConfiguration"], "HttpApi")

    assert jwt == {
        "issuer": f"https://cognito-idp.us-east-1.amazonaws.com/{deployment.ids['UserPool']}",
        "audience": [deployment.ids["ConsoleClient"], deployment.ids["CliClient"]],
    }


def test_the_outputs_give_what_comes_next(deployment):
    outputs = deployment.resolver.template["Outputs"]
    names = (
        "ConsoleUrl",
        "HostedUiUrl",
        "JwtIssuer",
        "ConsoleClientId",
        "CliClientId",
        "UserPoolId",
        "AddApproverCommand",
    )

    shown = {name: deployment.resolver.resolve(outputs[name]["Value"], name) for name in names}

    pool_id = deployment.ids["UserPool"]
    assert all(
        deployment.resolver.condition(outputs[name]["Condition"]) for name in names if "Condition" in outputs[name]
    )
    assert shown == {
        "ConsoleUrl": deployment.console_url,
        "HostedUiUrl": f"https://execution-api-dev-{ACCOUNT_ID}.auth.us-east-1.amazoncognito.com",
        "JwtIssuer": f"https://cognito-idp.us-east-1.amazonaws.com/{pool_id}",
        "ConsoleClientId": deployment.ids["ConsoleClient"],
        "CliClientId": deployment.ids["CliClient"],
        "UserPoolId": pool_id,
        "AddApproverCommand": (
            f"aws cognito-idp admin-add-user-to-group --region us-east-1 --user-pool-id {pool_id}"
            " --group-name security-approvers --username <email>"
        ),
    }


def test_the_add_approver_command_makes_an_approver(cognito, deployment):
    command = deployment.resolver.resolve(
        deployment.resolver.template["Outputs"]["AddApproverCommand"]["Value"], "Outputs"
    )
    options = dict(zip(command.split()[3::2], command.split()[4::2], strict=True))
    cognito.admin_create_user(
        UserPoolId=options["--user-pool-id"],
        Username="bob@example.com",
        UserAttributes=[{"Name": "email", "Value": "bob@example.com"}, {"Name": "email_verified", "Value": "true"}],
        MessageAction="SUPPRESS",
    )

    cognito.admin_add_user_to_group(
        UserPoolId=options["--user-pool-id"], GroupName=options["--group-name"], Username="bob@example.com"
    )

    groups = cognito.admin_list_groups_for_user(UserPoolId=deployment.ids["UserPool"], Username="bob@example.com")
    assert [group["GroupName"] for group in groups["Groups"]] == ["security-approvers"]
