"""Shared fixtures: an embedded AWS built from template.yaml, the functions, and their events."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from execution_api.dal.executions import ExecutionRepository
from execution_api.infra.settings import get_settings
from execution_api.models.domain import Execution
from tests.functions import HttpReply, as_http_reply
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
