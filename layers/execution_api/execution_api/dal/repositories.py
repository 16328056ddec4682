"""Each repository, built once per container from the settings: the one place that builds them,
and the one place tests reset (``reset``)."""

from __future__ import annotations

from functools import cache

from execution_api.dal.audit import AuditTrail
from execution_api.dal.decisions import DecisionRepository
from execution_api.dal.executions import ExecutionRepository
from execution_api.dal.grants import GrantLedger
from execution_api.dal.listing import ExecutionListing
from execution_api.infra.settings import get_settings


@cache
def executions() -> ExecutionRepository:
    settings = get_settings()
    return ExecutionRepository(settings.table_name, settings.audit_retention_days)


@cache
def audit() -> AuditTrail:
    settings = get_settings()
    return AuditTrail(settings.table_name, settings.audit_retention_days)


@cache
def grants() -> GrantLedger:
    settings = get_settings()
    return GrantLedger(settings.table_name, settings.audit_retention_days)


@cache
def listing() -> ExecutionListing:
    return ExecutionListing(get_settings().table_name)


@cache
def decisions() -> DecisionRepository:
    return DecisionRepository(get_settings().table_name)


def reset() -> None:
    for factory in (executions, listing, decisions, audit, grants):
        factory.cache_clear()
