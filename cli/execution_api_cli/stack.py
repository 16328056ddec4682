"""A profile from a deployed stack's CloudFormation outputs (needs the ``[aws]`` extra: boto3)."""

from __future__ import annotations

from typing import Any

from execution_api_cli.errors import CliError

# output name -> profile setting
STACK_OUTPUTS = {"ApiUrl": "base_url", "JwtIssuer": "issuer", "CliClientId": "client_id", "ConsoleUrl": "console_url"}
REQUIRED_OUTPUTS = ("ApiUrl", "JwtIssuer")


def settings_from_stack(stack_name: str, region: str | None) -> dict[str, Any]:
    """The profile settings the stack's outputs give (``ApiUrl`` and ``JwtIssuer`` at least)."""
    try:
        import boto3  # noqa: PLC0415 - optional dependency, only this command needs it
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415
    except ImportError as error:
        raise CliError("--from-stack needs boto3: pip install 'execution-api-cli[aws]'") from error
    try:
        stacks = boto3.client("cloudformation", region_name=region).describe_stacks(StackName=stack_name)["Stacks"]
    except (BotoCoreError, ClientError) as error:
        raise CliError(f"cannot read stack {stack_name}: {error}") from error
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs", [])}
    missing = [name for name in REQUIRED_OUTPUTS if name not in outputs]
    if missing:
        raise CliError(f"stack {stack_name} has no output {', '.join(missing)}: is it an execution-api stack?")
    return {setting: outputs[name] for name, setting in STACK_OUTPUTS.items() if name in outputs}
