"""The grant step of an elevation: when the workflow waits at ``grant`` (the table's stream
triggers this), check again that the grant is allowed, grant it, and resume the workflow.

Checked again here, not only at the request: the record still runs and waits on this very token,
the decision says approved by enough distinct people (unless the role is auto-approved), and the
policy still has the role, with the same provider and target and a cap the duration fits in. Then
the ledger counts the grant (``dal.grants``), in a transaction conditional on the record still
waiting on this token, before the provider (``logic.providers``) adds the access, so that no access
exists that a revoke would not find; an end that came meanwhile and revoked the grant while it was
being added makes it go again at once. The grant counts as made only once the provider says the
access is there (for Identity Center, once the assignment request succeeded). Any refusal or
failure ends the elevation as ``GrantFailed``, and what was added is taken back.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError

from execution_api.dal import repositories
from execution_api.dal.codec import from_item
from execution_api.dal.grants import GrantRecord
from execution_api.dal.keys import RECORD_SK
from execution_api.infra.aws_errors import AWS_FAILURES, GONE_TASK_TOKEN, code_of, failure_name
from execution_api.infra.clients import stepfunctions_client
from execution_api.infra.config import roles_policy
from execution_api.infra.observability import logger
from execution_api.infra.timefmt import iso_millis
from execution_api.logic.providers import provider
from execution_api.logic.revoke_access import grant_detail, remove_access, revoke_access
from execution_api.models.audit import AuditEvent
from execution_api.models.domain import ElevationGrant, Execution, ExecutionState, GrantStatus, utc_now
from execution_api.models.errors import DomainError
from execution_api.models.workflow_contract import (
    APPROVAL_STEP,
    GRANT_FAILED_ERROR,
    GRANT_STEP,
    WAIT_STEP_ATTRIBUTE,
    WAIT_TOKEN_ATTRIBUTE,
)

ACTOR = "grant"


class GrantRefused(DomainError):
    """The grant is not (or no longer) allowed."""


def grant_new_waits(records: list[dict[str, Any]]) -> int:
    """Grants for each stream record that is a record beginning a ``grant`` wait; returns how many."""
    granted = 0
    for record in records:
        change = record.get("dynamodb", {})
        new, old = change.get("NewImage") or {}, change.get("OldImage") or {}
        if (
            new.get("sk", {}).get("S") == RECORD_SK
            and new.get(WAIT_STEP_ATTRIBUTE, {}).get("S") == GRANT_STEP
            and new.get(WAIT_TOKEN_ATTRIBUTE) != old.get(WAIT_TOKEN_ATTRIBUTE)
        ):
            granted += grant_access(from_item(new), new[WAIT_TOKEN_ATTRIBUTE]["S"])
    return granted


def grant_access(execution: Execution, token: str) -> int:
    """Grants ``execution``'s elevation and resumes its workflow on ``token``; 1 if granted."""
    try:
        grant = _allowed_grant(execution, token)
        made = _make(execution.guid, token, grant) if grant is not None else None
    except GrantRefused as refusal:
        _fail(execution, token, refusal.message)
        return 0
    if made is None:
        return 0  # not waiting on this token any more: nothing to do
    recorded, created = made
    granted_at, expires_at = iso_millis(recorded.granted_at), iso_millis(recorded.expires_at)
    detail: dict[str, Any] = {**grant_detail(recorded.grant), "expires_at": expires_at}
    if not created:
        detail["standing"] = "the requester already had this access outside this API; its end leaves it"
    event = AuditEvent(guid=execution.guid, type="granted", at=utc_now(), actor=ACTOR, detail=detail)
    repositories.audit().append(event)
    status = GrantStatus(state="granted", granted_at=granted_at, expires_at=expires_at)
    repositories.executions().show_grant(execution.guid, status)
    _resume(token, {"granted_at": granted_at, "expires_at": expires_at})
    return 1


def _make(guid: str, token: str, grant: ElevationGrant) -> tuple[GrantRecord, bool] | None:
    """Records the grant, then adds the access: the grant as recorded and whether the access was
    created; ``None`` if the execution ended first (then nothing stays granted)."""
    now = utc_now()
    ledger = repositories.grants()
    try:
        recorded = ledger.record_grant(guid, grant, now, now + timedelta(seconds=grant.duration_seconds), token)
        if recorded is None:
            return None  # ended before: nothing was granted, so its end had nothing to revoke
        if recorded.state != "granted":
            raise GrantRefused("the grant was taken back before the workflow went on")
        created = provider(grant.provider).add(grant.target, grant.principal)
    except AWS_FAILURES as error:
        logger.warning("grant failed", extra={"guid": guid, "aws_error": failure_name(error)})
        _take_back(guid)
        raise GrantRefused(f"the provider refused the grant ({failure_name(error)})") from error
    holders = ledger.holders(grant.provider, grant.target, grant.principal)
    if guid not in holders:
        _withdraw(grant, holders)  # ended while the access was being added, and its grant revoked
        return None
    return recorded, created


def _withdraw(grant: ElevationGrant, holders: frozenset[str]) -> None:
    """The elevation ended, and its grant was revoked, while the access was being added: the
    access goes again, unless another grant holds it (a failure is left to the sweep)."""
    try:
        if not holders:
            remove_access(grant.provider, grant.target, grant.principal, held_as=grant.principal)
    except AWS_FAILURES as error:
        logger.warning("could not withdraw access; the sweep removes it", extra={"aws_error": failure_name(error)})


def _take_back(guid: str) -> None:
    """Revokes what a failed grant recorded or added; a revoke that fails is shown as such and
    retried by the sweep, and does not keep the elevation from ending."""
    try:
        revoke_access(guid, cause="grant_failed", actor=ACTOR)
    except AWS_FAILURES as error:
        logger.warning(
            "could not take back a failed grant; the sweep retries", extra={"aws_error": failure_name(error)}
        )


def _allowed_grant(execution: Execution, token: str) -> ElevationGrant | None:
    current = repositories.executions().get(execution.guid)
    if current is None or current.state is not ExecutionState.INPROGRESS:
        return None
    if repositories.executions().waiting_task_token(execution.guid) != token:
        return None
    grant = current.elevation
    if grant is None:
        raise GrantRefused("the execution is not an elevation")
    if current.decision is not None:
        decision = repositories.decisions().load(execution.guid, APPROVAL_STEP)
        if decision.decided != "approved" or len(decision.approvals) < current.decision.required_approvals:
            raise GrantRefused("the request is not approved")
    role = roles_policy().roles.get(grant.role)
    if (
        role is None
        or not role.enabled
        or role.provider != grant.provider
        or provider(role.provider).unavailable(role) is not None
        or not provider(role.provider).allows(role, grant.target)
        or grant.duration_seconds > role.max_seconds
    ):
        raise GrantRefused(f"the policy no longer allows role '{grant.role}' as requested")
    return grant


def _fail(execution: Execution, token: str, cause: str) -> None:
    at = utc_now()
    event = AuditEvent(guid=execution.guid, type="grant_failed", at=at, actor=ACTOR, detail={"cause": cause})
    repositories.audit().append(event)
    try:
        stepfunctions_client().send_task_failure(taskToken=token, error=GRANT_FAILED_ERROR, cause=cause)
    except ClientError as error:
        if code_of(error) not in GONE_TASK_TOKEN:
            raise


def _resume(token: str, output: dict[str, Any]) -> None:
    try:
        stepfunctions_client().send_task_success(taskToken=token, output=json.dumps(output))
    except ClientError as error:
        # A cancel or terminate got there first: the end of the execution revokes the grant.
        if code_of(error) not in GONE_TASK_TOKEN:
            raise
