"""The AWS error codes the code reacts to, each set written once."""

from __future__ import annotations

from botocore.exceptions import ClientError

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
CONDITIONAL_CHECK_FAILED = "ConditionalCheckFailedException"
TRANSACTION_CANCELED = "TransactionCanceledException"


def code_of(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


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


def failure_name(error: Exception) -> str:
    """What went wrong, for a record, an audit event or a log line (never a secret)."""
    if isinstance(error, ClientError):
        return code_of(error)
    if isinstance(error, AsyncRequestFailed):
        return error.reason
    return type(error).__name__
