import pytest

from execution_api.logic.sync_status import terminal_state
from execution_api.models.domain import ExecutionState


@pytest.mark.parametrize(
    ("status", "error", "state"),
    [
        ("SUCCEEDED", None, ExecutionState.FINISHED),
        ("FAILED", "ItemFailed", ExecutionState.ERROR),
        ("FAILED", None, ExecutionState.ERROR),
        ("FAILED", "States.TaskFailed", ExecutionState.ERROR),
        ("FAILED", "ExecutionCancelled", ExecutionState.STOPPED),
        ("FAILED", "ExecutionTerminated", ExecutionState.TERMINATED),
        ("FAILED", "States.Timeout", ExecutionState.TIMEOUT),
        ("FAILED", "ApprovalExpired", ExecutionState.TIMEOUT),
        ("FAILED", "ItemTimedOut", ExecutionState.TIMEOUT),
        ("TIMED_OUT", None, ExecutionState.TIMEOUT),
        ("TIMED_OUT", "States.Timeout", ExecutionState.TIMEOUT),
        ("ABORTED", None, ExecutionState.TERMINATED),
        ("ABORTED", "Terminated", ExecutionState.TERMINATED),
    ],
)
def test_step_functions_end_states_map_to_record_states(status, error, state):
    assert terminal_state(status, error) is state


@pytest.mark.parametrize("status", ["RUNNING", "PENDING_REDRIVE", ""])
def test_non_terminal_statuses_change_nothing(status):
    assert terminal_state(status, None) is None
