"""Repairs drift between records and Step Functions, on a schedule.

Every write order leaves at most one kind of gap, and each is closed here:

- the record was written but the execution never started (crash or failure between the two
  calls): the record ends as ERROR (``ExecutionNotStarted``);
- the execution ended but its status-change event was lost: the same sync as the event runs;
- the record was ended on request (terminate/cancel) but Step Functions was not told (the
  second call failed, or the workflow never took the cancel): the stop or the cancel is sent
  again, and a cancelled execution that still does not take it is stopped.

Only records still marked in the sparse ``ByRunning`` index are looked at, and only once they
are older than a grace period, so the cost follows the number of unfinished executions. Then the
grants are swept (``logic.sweep_grants``).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from botocore.exceptions import ClientError

from execution_api.dal import repositories
from execution_api.dal.executions import ExecutionRepository
from execution_api.infra.aws_errors import AWS_FAILURES, NO_SUCH_EXECUTION, code_of
from execution_api.infra.clients import stepfunctions_client
from execution_api.infra.observability import logger
from execution_api.logic.cancel_execution import deliver_cancel, stop_for_cancel
from execution_api.logic.sweep_grants import sweep_grants
from execution_api.logic.sync_status import ExecutionStatusChange, apply_status_change
from execution_api.logic.terminate_execution import stop_execution
from execution_api.models.domain import Execution, ExecutionState, epoch_millis, utc_now

RECONCILER = "reconciler"


def reconcile(grace: timedelta) -> dict[str, int]:
    """One pass; returns how many records each repair touched."""
    repository = repositories.executions()
    outcomes: Counter[str] = Counter()
    for record in repository.unconfirmed_before(utc_now() - grace):
        try:
            outcomes[_repair(repository, record)] += 1
        except AWS_FAILURES:
            # One record's trouble (e.g. throttling) must not leave the others unrepaired.
            logger.warning("could not repair a record; the next pass retries", extra={"guid": record.guid})
            outcomes["failed"] += 1
    outcomes.update(sweep_grants(RECONCILER))
    return dict(outcomes)


def _repair(repository: ExecutionRepository, record: Execution) -> str:
    try:
        described = stepfunctions_client().describe_execution(executionArn=record.workflow_id)
    except ClientError as error:
        if code_of(error) != NO_SUCH_EXECUTION:
            raise
        if record.state.is_terminal:
            repository.confirm_ended(record)
            return "confirmed_never_started"
        now = utc_now()
        repository.record_terminal_state(
            record,
            ExecutionState.ERROR,
            now,
            epoch_millis(now),
            error={"error": "ExecutionNotStarted", "cause": "The workflow execution was never started."},
        )
        return "ended_never_started"
    if described["status"] == "RUNNING":
        return _resend_end_request(repository, record)
    stopped = described.get("stopDate")
    apply_status_change(
        ExecutionStatusChange(
            executionArn=record.workflow_id,
            name=record.guid,
            status=described["status"],
            stopDate=int(stopped.timestamp() * 1000) if stopped else None,
            output=described.get("output"),
            error=described.get("error"),
            cause=described.get("cause"),
        )
    )
    return "synced"


def _resend_end_request(repository: ExecutionRepository, record: Execution) -> str:
    """A running execution whose record was ended on request: the request is sent again."""
    if record.state is ExecutionState.TERMINATED:
        stop_execution(record.workflow_id, RECONCILER)
        return "terminate_resent"
    if record.state is ExecutionState.STOPPED and record.cancel_mode == "stop":
        stop_for_cancel(record.workflow_id, RECONCILER)
        return "cancel_resent"
    if record.state is ExecutionState.STOPPED:
        token = repository.waiting_task_token(record.guid)
        if token and deliver_cancel(record.guid, token, RECONCILER):
            return "cancel_resent"
        # Past the grace period and still running: the workflow is not going to take the
        # cancel, so it is stopped. The record stays STOPPED, as the caller was told.
        stop_execution(record.workflow_id, RECONCILER)
        return "cancel_forced"
    return "still_running"
