"""Who may see and act on an execution: its owner, an admin, and (to read) anyone when it is
public. Every operation on one execution goes through here."""

from __future__ import annotations

from execution_api.dal import repositories
from execution_api.infra.settings import get_settings
from execution_api.models.caller import Caller
from execution_api.models.domain import Execution, ExecutionState, utc_now
from execution_api.models.errors import NotFound
from execution_api.models.ids import guid_from_id
from execution_api.models.responses import ExecutionResource


def render(execution: Execution) -> ExecutionResource:
    return ExecutionResource.of(execution, get_settings().task_queue, utc_now())


def load_owned(caller: Caller, execution_id: str, *, allow_public: bool = False) -> Execution:
    """The execution named by ``execution_id`` if the caller may see it, else 404."""
    execution = repositories.executions().get(guid_from_id(execution_id))
    if execution is None or not (caller.may_access(execution.owner) or (allow_public and execution.is_public)):
        raise NotFound("execution not found")
    return execution


def end_on_request(caller: Caller, guid: str, state: ExecutionState) -> tuple[Execution, str | None]:
    """Ends the caller's running execution (an admin's: anyone's) as ``state``; returns the
    ended record and the task token of the wait it was in, if any (``ExecutionRepository.end_on_request``)."""
    repository = repositories.executions()
    owner = caller.identity
    if caller.is_admin:
        # The conditional write names the owner: an admin's request reads it first.
        record = repository.get(guid)
        if record is None:
            raise NotFound("execution not found")
        owner = record.owner
    return repository.end_on_request(guid, owner, state, utc_now())
