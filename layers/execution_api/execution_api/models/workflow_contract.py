"""What the API and the workflows (``statemachines/*.asl.json``) agree on, written once.

The workflows get each record's key in their input (``record``, built by ``dal.keys``), so no
key is written in an ASL file. The step and error names below are the ones the ASL files use;
``tests/test_workflow_contract.py`` checks the two agree.
"""

from __future__ import annotations

# Steps at which a workflow waits on a task token registered on its record (``wait_step``).
APPROVAL_STEP = "approval"
HOLD_STEP = "hold"
EXTERNAL_STEP = "external"
WAIT_STEPS = frozenset({APPROVAL_STEP, HOLD_STEP, EXTERNAL_STEP})
# Steps whose wait is answered by people through decision links.
DECISION_STEPS = frozenset({APPROVAL_STEP})

# Errors a workflow's wait is failed with, and that it ends with.
CANCELLED_ERROR = "ExecutionCancelled"
TERMINATED_ERROR = "ExecutionTerminated"
# The workflows name their own timeouts (a Map cannot re-raise States.Timeout from an iteration).
TIMEOUT_ERRORS = frozenset({"States.Timeout", "ApprovalExpired", "ItemTimedOut"})

# Attributes of the record that the workflows write: the current wait, and the claim of their end.
WAIT_TOKEN_ATTRIBUTE = "wait_token"  # noqa: S105 - an attribute name
WAIT_STEP_ATTRIBUTE = "wait_step"
ENDING_ATTRIBUTE = "ending"
