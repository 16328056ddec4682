"""Profiles (from options, or from a stack's outputs in moto's CloudFormation), the configuration
file's errors, and shell completion. No server needed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from execution_api_cli.main import cli
from tests.cognito import COGNITO_TYPES
from toolkit.aws import EmbeddedAws
from toolkit.template import REGION

# The outputs of the stack that `profile add --from-stack` reads.
CLI_OUTPUTS = ("ApiUrl", "JwtIssuer", "CliClientId", "ConsoleUrl")


def execapi(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, prog_name="execapi")


def config_file(cli_home: Path) -> Path:
    return cli_home / "config" / "execution-api" / "config.toml"


@pytest.fixture(scope="module")
def stack() -> Iterator[dict[str, str]]:
    """A CloudFormation stack in moto named ``execution-api-prod`` whose outputs are template.yaml's,
    resolved over the toolkit's user pool (and ``unrelated``, a stack without them)."""
    with EmbeddedAws() as aws:
        resolver = aws.deploy({"CreateUserPool": "true", "Stage": "prod"}, resource_types=COGNITO_TYPES)
        values = {name: resolver.resolve(resolver.template["Outputs"][name]["Value"], name) for name in CLI_OUTPUTS}
        topic = {"Topic": {"Type": "AWS::SNS::Topic"}}
        outputs = {name: {"Value": value} for name, value in values.items()}
        cloudformation = aws.client("cloudformation")
        cloudformation.create_stack(
            StackName="execution-api-prod", TemplateBody=json.dumps({"Resources": topic, "Outputs": outputs})
        )
        cloudformation.create_stack(StackName="unrelated", TemplateBody=json.dumps({"Resources": topic}))
        yield values


def test_a_profile_from_a_stack_takes_its_outputs_and_options_override_them(
    stack: dict[str, str], cli_home: Path
) -> None:
    added = execapi(
        "profile", "add", "prod", "--from-stack", "execution-api-prod", "--region", REGION, "--redirect-port", "8765"
    )
    listed = execapi("profile", "list", "-o", "json")

    assert added.exit_code == 0, added.output
    assert tomllib.loads(config_file(cli_home).read_text())["profiles"]["prod"] == {
        "base_url": stack["ApiUrl"],
        "issuer": stack["JwtIssuer"],
        "client_id": stack["CliClientId"],
        "redirect_port": 8765,
        "console_url": stack["ConsoleUrl"].rstrip("/"),  # kept without its slash: pages are joined to it
    }
    assert [profile["name"] for profile in json.loads(listed.stdout)] == ["default", "prod"]


def test_a_missing_stack_or_one_without_the_outputs_is_refused(stack: dict[str, str], cli_home: Path) -> None:
    missing = execapi("profile", "add", "prod", "--from-stack", "no-such-stack", "--region", REGION)
    unrelated = execapi("profile", "add", "prod", "--from-stack", "unrelated", "--region", REGION)

    assert missing.exit_code == 1
    assert "cannot read stack no-such-stack" in missing.stderr
    assert unrelated.exit_code == 1
    assert "stack unrelated has no output ApiUrl, JwtIssuer" in unrelated.stderr
    assert not config_file(cli_home).exists()


def test_profiles_are_added_listed_and_removed_and_default_is_the_local_server(cli_home: Path) -> None:
    assert execapi("profile", "list").stdout.splitlines()[1].split()[:2] == ["default", "(built-in)"]

    added = execapi(
        "profile",
        "add",
        "staging",
        "--base-url",
        "https://api.example.com/api/v1/",
        "--issuer",
        "https://idp.example.com",
        "--console-url",
        "https://console.example.com/console",
    )
    removed = execapi("profile", "remove", "staging")

    assert added.exit_code == 0, added.output
    assert removed.exit_code == 0, removed.output
    assert tomllib.loads(config_file(cli_home).read_text()) == {}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[profiles.x]\nbase_url = "http://h/api/v1"\ncolour = "blue"\n', "profiles.x.colour: unknown setting"),
        ('[profiles.x]\nissuer = "http://h/idp"\n', "profiles.x.base_url: required"),
        ('[profiles.x]\nbase_url = "ftp://h"\n', "profiles.x.base_url: must be an http(s) URL"),
        ('[profiles.x]\nbase_url = "http://h"\nredirect_port = "80"\n', "profiles.x.redirect_port: must be a port"),
        ("[profiles.x\n", "cannot read the configuration"),
    ],
)
def test_a_bad_configuration_file_is_named_with_the_setting(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content)

    result = execapi("--config", str(path), "--profile", "x", "list")

    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_an_unknown_profile_says_how_to_add_it(cli_home: Path) -> None:
    result = execapi("--profile", "nope", "list")

    assert result.exit_code == 1
    assert "no profile 'nope'" in result.stderr
    assert "execapi profile add nope" in result.stderr


@pytest.mark.parametrize(("shell", "marker"), [("bash", "complete -o nosort -F"), ("zsh", "compdef")])
def test_shell_completion_scripts_for_bash_and_zsh(shell: str, marker: str) -> None:
    script = subprocess.run(
        [sys.executable, "-m", "execution_api_cli"],
        env={**os.environ, "_EXECAPI_COMPLETE": f"{shell}_source"},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout

    assert marker in script
    assert "_EXECAPI_COMPLETE" in script


def test_completion_offers_the_commands(cli_home: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "execution_api_cli"],
        env={**os.environ, "_EXECAPI_COMPLETE": "bash_complete", "COMP_WORDS": "execapi ap", "COMP_CWORD": "1"},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout

    assert completed.split() == ["plain,approve"]
