"""The execution record, its states in both vocabularies, and the clock. Stdlib only: the
request and response bodies are pydantic models in ``models.requests`` and ``models.responses``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

StateName = Literal["INPROGRESS", "FINISHED", "ERROR", "TERMINATED", "TIMEOUT", "STOPPED"]
StatusName = Literal["running", "completed", "failed", "terminated", "timed_out", "cancelled"]


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
    def status(self) -> StatusName:
        """The same state in the workflow-control vocabulary."""
        return _STATUS_BY_STATE[self]


_STATUS_BY_STATE: dict[ExecutionState, StatusName] = {
    ExecutionState.INPROGRESS: "running",
    ExecutionState.FINISHED: "completed",
    ExecutionState.ERROR: "failed",
    ExecutionState.TERMINATED: "terminated",
    ExecutionState.TIMEOUT: "timed_out",
    ExecutionState.STOPPED: "cancelled",
}
STATE_BY_STATUS = {status: state for state, status in _STATUS_BY_STATE.items()}


@dataclass(kw_only=True, slots=True)
class Execution:
    """One execution as stored: the single internal model behind both API vocabularies.

    A plain dataclass: records come from our own writes, not from callers, so there is nothing
    to validate."""

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
    approvers: list[str] = field(default_factory=list)
    required_approvals: int = 1


def utc_now() -> datetime:
    return datetime.now(UTC)


def epoch_millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
