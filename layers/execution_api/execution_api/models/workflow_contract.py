"""What the API and the workflows (``statemachines/*.asl.json``) agree on, written once.

The workflows get each record's key in their input (``record``, built by ``dal.keys``), so no
key is written in an ASL file. The step, attribute and error names below reach the ASL files as
``DefinitionSubstitutions`` (``SUBSTITUTIONS``); ``tests/test_workflow_contract.py`` checks that
the files use them and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# Steps at which a workflow waits on a task token registered on its record (``wait_step``).
APPROVAL_STEP = "approval"
GRANT_STEP = "grant"  # answered by the grant function (``logic.grant_access``), not by people
HOLD_STEP = "hold"
EXTERNAL_STEP = "external"
WAIT_STEPS = frozenset({APPROVAL_STEP, GRANT_STEP, HOLD_STEP, EXTERNAL_STEP})
# Steps whose wait is answered by people through decision links.
DECISION_STEPS = frozenset({APPROVAL_STEP})

# Errors a workflow's wait is failed with, and that it ends with.
CANCELLED_ERROR = "ExecutionCancelled"
TERMINATED_ERROR = "ExecutionTerminated"
GRANT_FAILED_ERROR = "GrantFailed"
# The workflows name their own timeouts (a Map cannot re-raise States.Timeout from an iteration).
TIMEOUT_ERRORS = frozenset({"States.Timeout", "ApprovalExpired", "ItemTimedOut"})

# Attributes of the record that the workflows write: the current wait, and the claim of their end.
WAIT_TOKEN_ATTRIBUTE = "wait_token"  # noqa: S105 - an attribute name
WAIT_STEP_ATTRIBUTE = "wait_step"
ENDING_ATTRIBUTE = "ending"

# The record's state attribute and the two of its values a workflow tests.
STATE_ATTRIBUTE = "state"
RUNNING_STATE = "INPROGRESS"
STOPPED_STATE = "STOPPED"

# The ASL files name each of the above by a ``${Placeholder}``, which the template's
# ``DefinitionSubstitutions`` fills in (``toolkit.generate`` writes them from here).
SUBSTITUTIONS = {
    "StateAttribute": STATE_ATTRIBUTE,
    "RunningState": RUNNING_STATE,
    "StoppedState": STOPPED_STATE,
    "WaitTokenAttribute": WAIT_TOKEN_ATTRIBUTE,
    "WaitStepAttribute": WAIT_STEP_ATTRIBUTE,
    "EndingAttribute": ENDING_ATTRIBUTE,
    "ApprovalStep": APPROVAL_STEP,
    "GrantStep": GRANT_STEP,
    "HoldStep": HOLD_STEP,
    "ExternalStep": EXTERNAL_STEP,
    "CancelledError": CANCELLED_ERROR,
    "TerminatedError": TERMINATED_ERROR,
}
# The placeholder of the executions table (a resource of the stack, not a name of this module).
TABLE_PLACEHOLDER = "ExecutionsTable"
# The fields of an execution's input that the API sets (``logic.start_execution``): a workflow's
# input schema may not declare them, and a request may not send them.
RESERVED_INPUT_FIELDS = frozenset({"guid", "record", "requester"})


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


def follows_cancel_protocol(definition: dict[str, Any]) -> bool:
    """Whether a (substituted) ASL definition waits the protocol's way, so that a graceful cancel
    reaches it: a task-token wait that registers its token on the record (``wait_token``), and a
    ``Catch`` of ``ExecutionCancelled``."""
    registers_token = any(
        str(node.get("Resource", "")).endswith(".waitForTaskToken")
        and isinstance(node.get("Parameters"), dict)
        and node["Parameters"].get("Key.$") == "$.record"
        and WAIT_TOKEN_ATTRIBUTE in str(node["Parameters"].get("UpdateExpression", ""))
        for node in _nodes(definition)
    )
    catches_cancel = any(
        CANCELLED_ERROR in catch.get("ErrorEquals", [])
        for node in _nodes(definition)
        for catch in node.get("Catch", [])
        if isinstance(catch, dict)
    )
    return registers_token and catches_cancel
