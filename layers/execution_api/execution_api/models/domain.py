"""The execution record, its states in both vocabularies, and the clock. Stdlib only: the
request and response bodies are pydantic models in ``models.requests`` and ``models.responses``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

StateName = Literal["INPROGRESS", "FINISHED", "ERROR", "TERMINATED", "TIMEOUT", "STOPPED"]
StatusName = Literal["running", "completed", "failed", "terminated", "timed_out", "cancelled"]
# How a cancel reaches an execution: its workflow's task-token wait fails with ExecutionCancelled
# and the workflow runs its cleanup, or StopExecution (no cleanup). Fixed at start, from the catalogue.
CancelMode = Literal["graceful", "stop"]


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


@dataclass(frozen=True, kw_only=True, slots=True)
class DecisionPolicy:
    """Who decides an execution's decision steps and how many distinct approvals it needs, fixed
    at start from the policy. Users are verified emails, casefolded; groups are the identity
    provider's."""

    approver_users: tuple[str, ...] = ()
    approver_groups: tuple[str, ...] = ()
    required_approvals: int = 1


@dataclass(frozen=True, kw_only=True, slots=True)
class ElevationGrant:
    """What an approved elevation grants, fixed at start from the policy."""

    role: str
    provider: str
    principal: str  # the requester as the provider knows them (an IAM user name, an Identity Store user id)
    target: str  # what they get (an IAM group name; a permission set ARN on an account: <ARN>@<account id>)
    duration_seconds: int
    # For people, with provider aws-sso: the account and the permission set's name.
    account: str | None = None
    permission_set: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class GrantStatus:
    """Where an elevation's grant is, as the record shows it (the ledger, ``dal.grants``, is what
    revocation works from)."""

    state: str  # granted | revoked | revoke_failed
    granted_at: str | None = None
    expires_at: str | None = None
    revoked_at: str | None = None
    cause: str | None = None
    revoke_error: str | None = None


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
    owner: str  # canonical: <issuer>#<sub>
    owner_display: str | None = None  # for people: the verified email, else sub
    owner_email: str | None = None  # verified only
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
    decision: DecisionPolicy | None = None
    elevation: ElevationGrant | None = None
    grant_status: GrantStatus | None = None
    approved_by: tuple[str, ...] = ()
    cancel_mode: CancelMode = "graceful"
    tags: dict[str, str] = field(default_factory=dict)
    # Ended records are deleted (DynamoDB TTL) this long after they end; None keeps them.
    retention_days: int | None = None

    def expires_at(self, stop_time: datetime) -> int | None:
        """The record's TTL (epoch seconds) once it has ended at ``stop_time``."""
        if self.retention_days is None:
            return None
        return int(stop_time.timestamp()) + self.retention_days * 86400


def utc_now() -> datetime:
    return datetime.now(UTC)


def epoch_millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
