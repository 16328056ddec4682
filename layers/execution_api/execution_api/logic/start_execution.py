"""``POST /execution``: the record first, then the Step Functions execution named by its guid;
retry-safe with an ``Idempotency-Key``."""

from __future__ import annotations

import json
import uuid
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from execution_api.dal import keys, repositories
from execution_api.dal.executions import ExecutionRepository
from execution_api.dal.idempotency import run_once
from execution_api.infra.aws_errors import EXECUTION_EXISTS, code_of, is_retryable
from execution_api.infra.clients import stepfunctions_client
from execution_api.infra.observability import logger
from execution_api.infra.settings import get_settings
from execution_api.logic.execution_inputs import prepare_execution
from execution_api.logic.workflows import resolve_workflow
from execution_api.models.audit import AuditEvent
from execution_api.models.caller import Caller
from execution_api.models.domain import Execution, epoch_millis, utc_now
from execution_api.models.errors import Conflict, ServiceUnavailable
from execution_api.models.ids import execution_arn, state_machine_name
from execution_api.models.requests import StartExecutionRequest
from execution_api.models.responses import StartedExecution

_KEYED_GUIDS = uuid.UUID("6f1d5a52-3c0e-4d8a-9f57-2b8e1c4d7a10")


def start_idempotent(
    caller: Caller, request: StartExecutionRequest, idempotency_key: str | None, lambda_context: Any = None
) -> StartedExecution:
    """``start``, made retry-safe by an optional ``Idempotency-Key``."""
    if idempotency_key is None:
        return start(caller, request)
    command_request = request.model_dump(mode="json")
    who = {"email": caller.email, "groups": sorted(caller.groups), "display": caller.display}
    result = run_once(
        _start_command, caller.identity, idempotency_key, command_request, lambda_context=lambda_context, context=who
    )
    return StartedExecution.model_validate(result)


def _remove_unstarted(repository: ExecutionRepository, guid: str) -> None:
    """Best effort: if even this fails, the reconciler ends the record as never started."""
    try:
        repository.remove_unstarted(guid)
    except (ClientError, BotoCoreError):
        logger.warning("could not remove the record of an unstarted execution", extra={"guid": guid})


def _start_command(command: dict[str, Any]) -> dict[str, Any]:
    """The idempotent unit: the key is the caller's identity and the Idempotency-Key; the rest of
    the caller (``who``) decides what the policy allows."""
    who = command["who"]
    caller = Caller(command["caller"], email=who["email"], groups=frozenset(who["groups"]), display=who["display"])
    request = StartExecutionRequest.model_validate(command["request"])
    return start(caller, request, guid=_keyed_guid(caller, command["key"])).model_dump()


def _keyed_guid(caller: Caller, idempotency_key: str) -> str:
    """The guid of the execution a key starts, the same on every attempt: a retry after an attempt
    that failed mid-way (so that Powertools forgot it) finds what that attempt wrote."""
    return str(uuid.uuid5(_KEYED_GUIDS, f"{caller.identity}\n{idempotency_key}"))


def start(caller: Caller, request: StartExecutionRequest, guid: str | None = None) -> StartedExecution:
    """Writes the record, then starts the execution named by its guid.

    The record comes first so that no execution ever runs without one; if the start fails
    the record is removed again, and a crash in between leaves an INPROGRESS record with no
    execution, which the reconciler ends as ERROR. With ``guid`` (an Idempotency-Key's), the
    record an earlier attempt wrote is taken up: its execution is started unless it was already.
    """
    settings = get_settings()
    resolved = resolve_workflow(request.workflow, caller, settings)
    workflow = resolved.workflow
    keyed = guid is not None
    guid = guid or str(uuid.uuid4())
    prepared = prepare_execution(workflow, request.input, caller, settings)
    # The workflow writes its record by this key: no key is written in an ASL file.
    payload = {**prepared.payload, "guid": guid, "record": keys.record_key(guid)}
    now = utc_now()
    execution = Execution(
        guid=guid,
        workflow_id=execution_arn(resolved.state_machine_arn, guid),
        workflow=workflow.name,
        agentflow_id=workflow.agentflow_id,
        state_machine_name=state_machine_name(resolved.state_machine_arn),
        owner=caller.identity,
        owner_display=caller.name,
        owner_email=caller.email,
        session_id=request.sessionId,
        start_time=now,
        created_on=epoch_millis(now),
        updated_on=epoch_millis(now),
        input=request.input,
        decision=prepared.decision,
        elevation=prepared.elevation,
        cancel_mode=workflow.cancel_mode,
        tags=dict(workflow.tags),
        retention_days=workflow.retention_days,
    )
    repository = repositories.executions()
    requested = None
    if prepared.elevation:
        grant = prepared.elevation
        detail: dict[str, Any] = {"role": grant.role, "duration_seconds": grant.duration_seconds}
        detail.update({name: value for name in ("account", "permission_set") if (value := getattr(grant, name))})
        requested = AuditEvent(guid=guid, type="requested", at=now, actor=caller.name, detail=detail)
    taken_up = False
    try:
        repository.create(execution, requested)
    except Conflict:
        if not keyed:
            raise
        execution, taken_up = _earlier_attempt(repository.get(guid), caller, request), True
    _start_workflow(repository, resolved.state_machine_arn, guid, payload, taken_up=taken_up)
    return StartedExecution(workflow_id=execution.workflow_id, run_id=guid, status=execution.state.status)


def _earlier_attempt(record: Execution | None, caller: Caller, request: StartExecutionRequest) -> Execution:
    """The record an earlier attempt with the same key wrote, if it was for this very request."""
    if (
        record is None
        or record.owner != caller.identity
        or (record.workflow, record.input, record.session_id) != (request.workflow, request.input, request.sessionId)
    ):
        raise Conflict("Idempotency-Key: already used with a different request body")
    return record


def _start_workflow(
    repository: ExecutionRepository, state_machine_arn: str, guid: str, payload: dict, *, taken_up: bool
) -> None:
    """Starts the execution of ``guid``; with ``taken_up`` (the record of an earlier attempt with
    the same Idempotency-Key), one that attempt started counts as this one."""
    try:
        stepfunctions_client().start_execution(stateMachineArn=state_machine_arn, name=guid, input=json.dumps(payload))
    except ClientError as error:
        if code_of(error) == EXECUTION_EXISTS and taken_up:
            return
        # Refused: nothing started, so the record goes too.
        _remove_unstarted(repository, guid)
        if code_of(error) == EXECUTION_EXISTS:
            # The key named an execution whose record has been deleted since, and Powertools forgot it.
            raise Conflict("Idempotency-Key: already used for an earlier execution; use a new key") from error
        if is_retryable(error):
            raise ServiceUnavailable("Step Functions is busy: retry shortly") from error
        raise
    except (EndpointConnectionError, ConnectTimeoutError) as error:
        # Never delivered: nothing started, so the record goes too.
        _remove_unstarted(repository, guid)
        raise ServiceUnavailable("Step Functions is busy: retry shortly") from error
    except ReadTimeoutError as error:
        # Delivered but unanswered: it may have started. The record stays; a retry with the same
        # Idempotency-Key takes it up, and the reconciler keeps it if the execution exists and
        # ends it as ERROR if not.
        raise ServiceUnavailable("Step Functions did not answer: retry shortly") from error
