"""The execution model, its states, and the request bodies the API accepts."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ExecutionState(StrEnum):
    INPROGRESS = "INPROGRESS"
    FINISHED = "FINISHED"
    ERROR = "ERROR"
    TERMINATED = "TERMINATED"
    TIMEOUT = "TIMEOUT"
    STOPPED = "STOPPED"

    @property
    def is_terminal(self) -> bool:
        return self is not ExecutionState.INPROGRESS

    @property
    def status(self) -> str:
        """The same state in the workflow-control vocabulary."""
        return _STATUS_BY_STATE[self]


_STATUS_BY_STATE = {
    ExecutionState.INPROGRESS: "running",
    ExecutionState.FINISHED: "completed",
    ExecutionState.ERROR: "failed",
    ExecutionState.TERMINATED: "terminated",
    ExecutionState.TIMEOUT: "timed_out",
    ExecutionState.STOPPED: "cancelled",
}
STATE_BY_STATUS = {status: state for state, status in _STATUS_BY_STATE.items()}

StateName = Literal["INPROGRESS", "FINISHED", "ERROR", "TERMINATED", "TIMEOUT", "STOPPED"]
StatusName = Literal["running", "completed", "failed", "terminated", "timed_out", "cancelled"]


class Execution(BaseModel):
    """One execution as stored: the single internal model behind both API vocabularies."""

    guid: str
    workflow_id: str
    workflow: str
    agentflow_id: str
    state_machine_name: str
    owner: str
    session_id: str | None = None
    state: ExecutionState = ExecutionState.INPROGRESS
    start_time: datetime
    stop_time: datetime | None = None
    created_on: int
    updated_on: int
    input: Any = None
    output: Any = None
    error: dict[str, Any] | None = None
    is_public: bool = False
    # Who decides the workflow's decision steps, and how many approvals it needs (fixed at start).
    approvers: list[str] = Field(default_factory=list)
    required_approvals: int = 1


class StartExecutionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workflow: Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_-]+$")]
    input: dict[str, Any] = Field(default_factory=dict)
    sessionId: Annotated[str | None, Field(min_length=1, max_length=128)] = None


class StartedExecution(BaseModel):
    workflow_id: str
    run_id: str
    status: str


class UpdateExecutionRequest(BaseModel):
    """``PUT /executions/{id}``: only these fields, at least one of them."""

    model_config = ConfigDict(extra="forbid")

    # Any state name parses: moving to one other than STOPPED/TERMINATED is a 409, not a 400.
    state: StateName | None = None
    isPublic: bool | None = None


ExecutionId = Annotated[str, Field(min_length=1, max_length=256)]


class BulkDeleteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    executionIds: Annotated[list[ExecutionId], Field(min_length=1, max_length=100)]


class DeleteResult(BaseModel):
    raw: list[Any] = Field(default_factory=list)
    affected: int


def utc_now() -> datetime:
    return datetime.now(UTC)


def epoch_millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
