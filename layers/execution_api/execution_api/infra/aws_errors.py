"""The AWS error codes the code reacts to, each set written once."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

# A dependency that is throttling or failing for a moment: the caller may retry (503 + Retry-After).
RETRYABLE = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "ServiceUnavailable",
        "InternalServerError",
        "RequestTimeout",
    }
)
# What Step Functions answers for a task token whose wait does not (or no longer) take answers.
GONE_TASK_TOKEN = frozenset({"InvalidToken", "TaskTimedOut", "TaskDoesNotExist"})
# Step Functions: an execution of that name exists (started by an earlier attempt of the same request).
EXECUTION_EXISTS = "ExecutionAlreadyExists"
NO_SUCH_EXECUTION = "ExecutionDoesNotExist"
CONDITIONAL_CHECK_FAILED = "ConditionalCheckFailedException"
TRANSACTION_CANCELED = "TransactionCanceledException"
# Why DynamoDB cancels a transaction that may simply be sent again: another transaction or write on
# one of its items was under way, or the table throttled.
_RETRYABLE_CANCELLATIONS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})


def code_of(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def is_retryable(error: ClientError) -> bool:
    """Whether sending the same request again shortly may succeed (503 + Retry-After to a caller)."""
    if code_of(error) in RETRYABLE:
        return True
    reasons = error.response.get("CancellationReasons") or []
    return code_of(error) == TRANSACTION_CANCELED and any(
        reason.get("Code") in _RETRYABLE_CANCELLATIONS for reason in reasons
    )


def is_conditional_failure(error: ClientError) -> bool:
    return code_of(error) == CONDITIONAL_CHECK_FAILED


def failed_conditions(error: ClientError) -> list[bool] | None:
    """For a transaction cancelled by failed conditions: which of its items failed; else ``None``."""
    reasons = error.response.get("CancellationReasons") or []
    if code_of(error) != TRANSACTION_CANCELED or not reasons:
        return None
    failed = [reason.get("Code") == "ConditionalCheckFailed" for reason in reasons]
    return failed if any(failed) else None


class AsyncRequestFailed(Exception):
    """An asynchronous AWS request that ended ``FAILED``, or had not ended when its wait ran out;
    ``reason`` says which, for the record and the audit."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# What a call to AWS can fail with: its error answer, no answer at all, or an asynchronous request
# that did not succeed. Work that goes on past one failure (a sweep, a repair pass) catches these.
AWS_FAILURES = (ClientError, BotoCoreError, AsyncRequestFailed)


def failure_name(error: Exception) -> str:
    """What went wrong, for a record, an audit event or a log line (never a secret)."""
    if isinstance(error, ClientError):
        return code_of(error)
    if isinstance(error, AsyncRequestFailed):
        return error.reason
    return type(error).__name__
