"""Every change this repository makes to moto's behaviour, for the moto version they were checked on.

Each patch below reaches into moto internals (private classes and attributes), so it is checked
for one moto version only: :data:`MOTO_VERSION`, pinned in ``requirements-dev.txt``. A test fails
when the installed moto differs; before moving the pin, re-check each of :data:`PATCHES` against
the new moto's source, and run ``make test-repeat`` and the load test.

Never in production code: the deployed functions run on real AWS.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

LOG = logging.getLogger("toolkit.moto_fixes")
MOTO_VERSION = "5.2.5"
STOP_WAIT_SECONDS = 2.0
# What each patch changes, and where in moto (what to re-check when the pin moves).
PATCHES = {
    "thread-safe DynamoDB": (
        "make_thread_safe: every public method of moto.dynamodb.models.DynamoDBBackend and "
        "moto.dynamodbstreams.models.DynamoDBStreamsBackend takes one re-entrant lock"
    ),
    "current stream shard": (
        "make_thread_safe: DynamoDBStreamsBackend.get_records reads the table's current stream_shard "
        "and drops the used iterator from shard_iterators"
    ),
    "execution env before its thread": (
        "make_thread_safe: moto.stepfunctions.parser.backend.execution_worker.ExecutionWorker.start builds "
        "self.env (_get_evaluation_environment) before the worker thread starts"
    ),
    "stop waits for the first state": (
        "make_thread_safe: ExecutionWorker.stop waits until env._program_state / env.next_state_name show "
        "the program entered its first state"
    ),
    "stop answers the waiting token": (
        "answer_token_after_stop: a botocore after-call hook on StopExecution answers the task token the "
        "execution waits on (moto keeps such an execution RUNNING after a stop)"
    ),
    "memoized table scans (bench only)": (
        "speed_up_scans: moto.dynamodb.models.table.Table.all_items memoized until put_item/delete_item; "
        "moto.dynamodb.models.dynamo_type.Item.__init__ checks the 400 KB limit once"
    ),
}


def make_thread_safe() -> None:
    """moto 5.2.5 is not thread-safe where executions run beside API calls (the local server
    serves requests in many threads; in tests and the bench a batch's Map items update one record
    at once); found by ``tests/e2e/test_load_invariants.py``, where it answered 500.

    ``TransactWriteItems`` deep-copies a table while other threads write to it ("dictionary
    changed size during iteration"): every DynamoDB backend call is serialized by one re-entrant
    lock (they never wait on another thread).

    A cancelled ``TransactWriteItems`` (a failed condition, e.g. a decision link clicked twice)
    rolls back by putting a deep copy of the table in its place, stream shard included, so every
    shard iterator handed out before it read a shard that no longer grew. ``GetRecords`` reads the
    table's current shard, and stream calls take the DynamoDB lock, so that no poll sees the records
    of a transaction that is then rolled back. moto also keeps every iterator it ever handed out;
    ``GetRecords`` drops the one it used (callers go on with ``NextShardIterator``).

    A Step Functions execution's worker builds its ``env`` in its own thread after
    ``StartExecution`` returned, so a ``StopExecution`` of it, or any ``SendTask*`` while any
    execution is starting, read ``env`` None (``AttributeError``): the ``env`` is built before the
    worker's thread starts instead. And a ``StopExecution`` that lands while the program sets its
    first state (``Environment.next_state_name``: ``ProgramRunning`` first, the name second, no
    lock) makes the setter raise ``RuntimeError`` in the worker's thread, which dies: the
    execution stays RUNNING with nothing after ``ExecutionStarted`` (3 of 7 load runs, after a
    create and an immediate terminate). A stop waits (at most ``STOP_WAIT_SECONDS``) until the
    program has started: none in 8 load runs since.
    """
    from moto.dynamodb.models import DynamoDBBackend  # noqa: PLC0415 - moto is slow to import
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend  # noqa: PLC0415
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker  # noqa: PLC0415

    if getattr(DynamoDBBackend, "_toolkit_thread_safe", False):
        return
    lock = threading.RLock()

    def locked(method: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(*args, **kwargs)

        return call

    get_records = DynamoDBStreamsBackend.get_records

    def get_current_records(self: Any, iterator_arn: str, limit: int) -> Any:
        iterator = self.shard_iterators[iterator_arn]
        iterator.stream_shard = self.dynamodb.get_table(iterator.stream_shard.table.name).stream_shard
        try:
            return get_records(self, iterator_arn, limit)
        finally:
            del self.shard_iterators[iterator_arn]

    DynamoDBStreamsBackend.get_records = get_current_records  # type: ignore[method-assign]
    for backend in (DynamoDBBackend, DynamoDBStreamsBackend):
        for name, member in list(vars(backend).items()):
            if not name.startswith("_") and callable(member) and not isinstance(member, (staticmethod, classmethod)):
                setattr(backend, name, locked(member))
    DynamoDBBackend._toolkit_thread_safe = True  # type: ignore[attr-defined]

    build_environment = ExecutionWorker._get_evaluation_environment
    start_worker = ExecutionWorker.start
    stop_worker = ExecutionWorker.stop

    def environment(self: Any) -> Any:
        return self.env if self.env is not None else build_environment(self)

    def start(self: Any) -> None:
        if self.env is None:
            self.env = build_environment(self)
        start_worker(self)

    def stop(self: Any, stop_date: Any, error: Any, cause: Any) -> None:
        deadline = time.monotonic() + STOP_WAIT_SECONDS
        while _program_starting(self.env) and time.monotonic() < deadline:
            time.sleep(0.005)
        stop_worker(self, stop_date=stop_date, error=error, cause=cause)

    ExecutionWorker._get_evaluation_environment = environment  # type: ignore[method-assign]
    ExecutionWorker.start = start  # type: ignore[method-assign]
    ExecutionWorker.stop = stop  # type: ignore[method-assign]


def _program_starting(env: Any) -> bool:
    """Before the program has entered its first state (moto's ``Environment``)."""
    return env._program_state is None or (env.is_running() and env.next_state_name is None)


def answer_token_after_stop(session: Any, table_name: Any) -> None:
    """moto leaves an execution that waits on a task token RUNNING after ``StopExecution`` until
    the token is answered. A botocore ``after-call`` hook for ``StopExecution`` on ``session``
    (the one the layer's clients come from) reads the token the execution registered on its
    record (``ExecutionRepository.waiting_task_token``; ``table_name()`` gives the table) and
    answers it with ``SendTaskSuccess``.

    moto has already marked the execution stopped, so no state of the workflow runs on; the
    answer only releases the wait. ``SendTaskFailure`` would not do: once stopped, moto skips the
    state's Catch and ends the execution FAILED instead of ABORTED. Checked with moto 5.2.5: a
    top-level wait (the ``default`` workflow's approval) ends ABORTED, as in AWS; a wait inside a
    Map state (``batch`` item ``hang``) ends FAILED with ``States.Runtime``
    (``States.QueryEvaluationError`` when the stop lands as the Map starts), because moto fails
    any stop inside a Map, with or without this. The record ends TERMINATED either way.
    """
    session.events.register("before-parameter-build.sfn.StopExecution", _remember_execution_arn)
    session.events.register(
        "after-call.sfn.StopExecution",
        lambda http_response, context, **_: _answer_waiting_token(http_response, context, table_name()),
    )


def _remember_execution_arn(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context["toolkit_stop_execution_arn"] = params.get("executionArn")


def _answer_waiting_token(http_response: Any, context: dict[str, Any], table_name: str) -> None:
    arn = context.get("toolkit_stop_execution_arn")
    if not arn or getattr(http_response, "status_code", 500) >= 300:
        return
    from botocore.exceptions import ClientError  # noqa: PLC0415

    from execution_api.dal.executions import ExecutionRepository  # noqa: PLC0415
    from execution_api.infra.clients import stepfunctions_client  # noqa: PLC0415

    token = ExecutionRepository(table_name).waiting_task_token(arn.rsplit(":", 1)[-1])
    if not token:
        return
    try:
        stepfunctions_client().send_task_success(taskToken=token, output=json.dumps({"stopped": True}))
    except ClientError as error:  # the wait had moved on already: nothing is waiting
        LOG.debug("stop workaround: token not answered (%s)", error.response["Error"]["Code"])


def speed_up_scans() -> None:
    """For the bench's large tables only: moto's ``Table.all_items()`` re-sorts the whole table
    (by primary key) on every Query and Scan, ~40 s per Query at 100k items; it is memoized until
    the table's membership changes (``put_item``/``delete_item``). Same items, same order, same
    ``ScannedCount``: only the emulator's wall time changes. GSI Queries stay a linear pass.
    moto also checks the 400 KB limit on each attribute added to an item, re-summing the whole
    item each time (quadratic); one check of the finished item gives the same verdict."""
    from moto.dynamodb.exceptions import ItemSizeTooLarge  # noqa: PLC0415
    from moto.dynamodb.models import dynamo_type  # noqa: PLC0415
    from moto.dynamodb.models.table import Table  # noqa: PLC0415

    if getattr(Table, "_toolkit_memoized", False):
        return
    original_all, original_put, original_delete = Table.all_items, Table.put_item, Table.delete_item

    def all_items(self: Any) -> list[Any]:
        cached = self.__dict__.get("_toolkit_all_items")
        if cached is None:
            cached = original_all(self)
            self.__dict__["_toolkit_all_items"] = cached
        return list(cached)

    def put_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        self.__dict__.pop("_toolkit_all_items", None)
        return original_put(self, *args, **kwargs)

    def delete_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        self.__dict__.pop("_toolkit_all_items", None)
        return original_delete(self, *args, **kwargs)

    def item_init(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        self.hash_key = hash_key
        self.range_key = range_key
        converted = {key: dynamo_type.DynamoType(value) for key, value in attrs.items()}
        if sum(dynamo_type.bytesize(key) + value.size() for key, value in converted.items()) > 405000:
            raise ItemSizeTooLarge
        self.attrs = dynamo_type.LimitedSizeDict()
        dict.update(self.attrs, converted)

    dynamo_type.Item.__init__ = item_init  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]
    Table.put_item = put_item  # type: ignore[method-assign]
    Table.delete_item = delete_item  # type: ignore[method-assign]
    Table._toolkit_memoized = True  # type: ignore[attr-defined]
