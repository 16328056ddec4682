"""Execution records written straight to the table (no workflow runs), for read/list/delete tests."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from execution_api.dal.executions import ExecutionRepository
from execution_api.infra.catalogue_config import load_catalogue
from execution_api.models.domain import Execution, ExecutionState, epoch_millis
from execution_api.models.ids import execution_arn, state_machine_name
from tests.events import owner_of
from toolkit.template import ROOT

ALICE = "alice@example.com"
BOB = "bob@example.com"
ADMIN = "root@example.com"
ADMIN_GROUP = "execution-admins"
# The guid the sample events in events/ name.
PLACEHOLDER_GUID = "00000000-0000-4000-8000-000000000001"
_DEFAULT_START = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)
WORKFLOWS = load_catalogue(ROOT / "config", "dev").workflows


def new_record(
    repository: ExecutionRepository,
    workflow_arns: dict[str, str],
    *,
    owner: str = ALICE,
    state: ExecutionState = ExecutionState.FINISHED,
    workflow: str = "batch",
    session_id: str | None = None,
    start_time: datetime | None = None,
    is_public: bool = False,
    guid: str | None = None,
) -> Execution:
    """Writes one record of ``owner`` (an email: the record is owned by that person's canonical
    identity); states other than INPROGRESS get a stop time 90 s after the start."""
    guid = guid or f"{secrets.token_hex(4)}-0000-4000-8000-{secrets.token_hex(6)}"
    start = start_time or _DEFAULT_START
    arn = workflow_arns[workflow]
    ended = state is not ExecutionState.INPROGRESS
    execution = Execution(
        guid=guid,
        workflow_id=execution_arn(arn, guid),
        workflow=workflow,
        agentflow_id=WORKFLOWS[workflow].agentflow_id,
        state_machine_name=state_machine_name(arn),
        owner=owner_of(owner),
        owner_display=owner,
        owner_email=owner,
        session_id=session_id,
        state=state,
        start_time=start,
        stop_time=start + timedelta(seconds=90) if ended else None,
        created_on=epoch_millis(start),
        updated_on=epoch_millis(start),
        input={"items": ["a"]},
        output={"processed": 1} if state is ExecutionState.FINISHED else None,
        is_public=is_public,
    )
    repository.create(execution)
    return execution
