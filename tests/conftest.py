"""Shared fixtures: an embedded AWS built from template.yaml, the functions, and their events; the
local server (``make run``'s) for the end-to-end and CLI tests."""

from __future__ import annotations

import json
import secrets
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from execution_api.dal.executions import ExecutionRepository
from execution_api.infra.catalogue_config import workflow_catalogue
from execution_api.infra.settings import get_settings
from execution_api.models.domain import Execution
from local.token import mint_token
from tests.functions import HttpReply, as_http_reply
from tests.local_server import ROOT, ApiClient, free_port, serving
from tests.records import new_record
from tests.stack import Stack, embedded_stack, empty_tables, execution_names, settle_executions, use_stack_environment
from toolkit.functions import LambdaContext, clear_warm_caches, function_module


@pytest.fixture(scope="module")
def _module_stack() -> Iterator[Stack]:
    """Built once per test module: creating state machines is the slow part of the stack."""
    with embedded_stack() as stack:
        yield stack


@pytest.fixture
def aws(_module_stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """Every table, secret and state machine of template.yaml in moto (state machines really
    execute) and the environment the template gives the functions; the tables are emptied
    after each test."""
    stack = use_stack_environment(_module_stack, monkeypatch)
    earlier = execution_names(stack)
    yield stack
    settle_executions(stack, earlier)
    empty_tables(stack)
    clear_warm_caches()


@pytest.fixture
def settings_env(aws: Stack, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Changes environment variables of the functions (settings are re-read afterwards)."""

    def change(**variables: str) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        workflow_catalogue.cache_clear()

    return change


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext("execution-api-test")


@pytest.fixture
def invoke(aws: Stack, lambda_context: LambdaContext) -> Callable[[str, dict[str, Any]], HttpReply]:
    """Runs ``functions/<name>``'s ``lambda_handler`` on an API Gateway event."""

    def call(function: str, event: dict[str, Any]) -> HttpReply:
        return as_http_reply(function_module(function).lambda_handler(event, lambda_context))

    return call


@pytest.fixture
def repository(aws: Stack) -> ExecutionRepository:
    return ExecutionRepository(aws.table_name)


@pytest.fixture
def make_record(aws: Stack, repository: ExecutionRepository) -> Callable[..., Execution]:
    """Writes an execution record directly; without ``start_time``, each starts a minute after
    the one before, so creation order is start order."""
    starts = (datetime(2024, 1, 15, 10, 0, tzinfo=UTC) + timedelta(minutes=n) for n in range(1_000_000))

    def make(**fields: Any) -> Execution:
        fields.setdefault("start_time", next(starts))
        return new_record(repository, aws.workflow_arns, **fields)

    return make


# -- the local server (make run's) for the end-to-end and CLI tests -----------------------------------


@pytest.fixture(scope="session")
def jwt_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A signing key for this session only (created by the first token or by the server)."""
    return tmp_path_factory.mktemp("local-idp") / "jwt-signing-key.pem"


@pytest.fixture(scope="session")
def signal_keyring() -> dict[str, str]:
    """The keyring the session's server seals decision links with (its ``SignalKeySecret``)."""
    return {"current": "k1", "k1": secrets.token_urlsafe(48)}


@pytest.fixture(scope="session")
def outbox_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the session's server appends each decision-link webhook post, one JSON line each."""
    return tmp_path_factory.mktemp("local-outbox") / "outbox.jsonl"


# Roles of the tests' own, merged over the repository's policy (the local stage is dev).
TEST_ROLES = """
[roles.flash]
description = "Test: auto-approved, held for seconds"
provider = "aws"
group = "flash"
requesters = { everyone = true }
auto_approve = true
max_duration = "PT30S"
default_duration = "PT5S"
reason_required = false

[roles.sso-flash]
description = "Test: auto-approved through IAM Identity Center, held for seconds"
provider = "aws-sso"
eligible = [
  { account = "111111111111", permission_set = "ReadOnlyAccess" },
  { account = "222222222222", permission_set = "ReadOnlyAccess" },
]
requesters = { everyone = true }
auto_approve = true
max_duration = "PT30S"
default_duration = "PT5S"
reason_required = false
"""


# A workflow of the tests' own, added by configuration alone: an existing state machine, by ARN
# (``tests/e2e/test_workflow_catalogue_e2e.py`` creates it in the server's embedded AWS).
EXTERNAL_WORKFLOW = "e2e-external"
EXTERNAL_STARTERS = "e2e-operators"
EXTERNAL_ARN = "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:e2e-external-${Stage}"
TEST_WORKFLOWS = f"""
[workflows.{EXTERNAL_WORKFLOW}]
agentflow_id = "wf-e2e-external"
description = "Test: a state machine of its own, registered by ARN"
state_machine_arn = "{EXTERNAL_ARN}"
input_schema = "schemas/e2e-external.json"
starters = {{ groups = ["{EXTERNAL_STARTERS}"] }}
cancel_mode = "stop"
retention_days = 7
"""
TEST_WORKFLOW_SCHEMA = {
    "type": "object",
    "required": ["seconds"],
    "additionalProperties": False,
    "properties": {"seconds": {"type": "integer", "minimum": 0, "maximum": 600, "description": "How long it waits"}},
}


@pytest.fixture(scope="session")
def config_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's config/, plus ``TEST_ROLES`` and ``TEST_WORKFLOWS`` as the dev stage's overrides."""
    directory = tmp_path_factory.mktemp("config")
    shutil.copytree(ROOT / "config", directory, dirs_exist_ok=True)
    stage = directory / "stages" / "dev"
    stage.mkdir(parents=True, exist_ok=True)
    (stage / "roles.toml").write_text(TEST_ROLES)
    (stage / "workflows.toml").write_text(TEST_WORKFLOWS)
    (directory / "schemas" / "e2e-external.json").write_text(json.dumps(TEST_WORKFLOW_SCHEMA))
    return directory


@pytest.fixture(scope="session")
def shared_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def local_issuer(shared_port: int) -> str:
    """The issuer of the session's tokens: the shared server's identity provider. Servers of their
    own (``isolated_local_server``) take the same issuer, so that one token works on each."""
    return f"http://127.0.0.1:{shared_port}/local-idp"


@pytest.fixture(scope="session")
def local_server(
    jwt_key_file: Path,
    signal_keyring: dict[str, str],
    outbox_file: Path,
    tmp_path_factory: pytest.TempPathFactory,
    local_issuer: str,
    shared_port: int,
    config_dir: Path,
) -> Iterator[str]:
    """The server the e2e tests share."""
    server_dir = tmp_path_factory.mktemp("local-server")
    with serving(jwt_key_file, signal_keyring, outbox_file, server_dir, local_issuer, config_dir, shared_port) as url:
        yield url


@pytest.fixture
def isolated_local_server(
    jwt_key_file: Path,
    signal_keyring: dict[str, str],
    outbox_file: Path,
    tmp_path: Path,
    local_issuer: str,
    config_dir: Path,
) -> Iterator[str]:
    """A server of its own, for a test whose load must not leave the shared server busy."""
    with serving(jwt_key_file, signal_keyring, outbox_file, tmp_path, local_issuer, config_dir) as url:
        yield url


@pytest.fixture(scope="session")
def token_for(jwt_key_file: Path, local_issuer: str) -> Callable[..., str]:
    """``token_for(user, groups=None, email_verified=True)``: a token the session's servers accept."""

    def mint(user: str, groups: list[str] | None = None, email_verified: bool = True) -> str:
        return mint_token(user, groups, key_file=jwt_key_file, issuer=local_issuer, email_verified=email_verified)

    return mint


@pytest.fixture(scope="session")
def api(local_server: str, token_for: Callable[..., str]) -> Callable[..., ApiClient]:
    """``api(user, groups=None)``: a client authenticated as ``user``."""

    def client(user: str, groups: list[str] | None = None) -> ApiClient:
        return ApiClient(local_server, token_for(user, groups), user)

    return client


@pytest.fixture(scope="session")
def anonymous(local_server: str) -> Callable[[str | None], ApiClient]:
    """``anonymous(token)``: a client that sends exactly ``token`` as its bearer (None: no header)."""

    def client(token: str | None = None) -> ApiClient:
        return ApiClient(local_server, token)

    return client
