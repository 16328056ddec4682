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
    "identity center: asynchronous assignments": (
        "fix_identity_center: moto.ssoadmin.responses.SSOAdminResponse.create_account_assignment and "
        "delete_account_assignment answer IN_PROGRESS (moto: SUCCEEDED at once); "
        "describe_account_assignment_creation_status / _deletion_status answer SUCCEEDED from the requests "
        "kept on the SSOAdminBackend (moto looks a request up among the current assignments, and a deletion "
        "answers its assignment's creation request id)"
    ),
    "identity center: one assignment per principal": (
        "fix_identity_center: creating an assignment that exists adds no second one (moto appends a duplicate "
        "to SSOAdminBackend.account_assignments, which one delete does not remove)"
    ),
    "identity center: permission set ARNs": (
        "fix_identity_center: moto.ssoadmin.models.PermissionSet.generate_id gives "
        "arn:<partition>:sso:::permissionSet/<instance id>/ps-<16>, as AWS (moto: <instance ARN>/ps-<16>)"
    ),
    "identity center: the policy's instance": (
        "provision_identity_center: the SSOAdminBackend's one Instance (moto makes it with random ids and has no "
        "CreateInstance) takes the policy's instance ARN and identity store id, and each PermissionSet created "
        "takes the ARN the policy names"
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


def fix_identity_center() -> None:
    """Identity Center as AWS behaves, where moto 5.2.5 differs (what the ``aws-sso`` provider relies
    on, ``execution_api.infra.identity_center``).

    An account assignment is created or deleted by an asynchronous request: AWS answers
    ``IN_PROGRESS`` and ``DescribeAccountAssignment{Creation,Deletion}Status`` says when it ended.
    moto answers ``SUCCEEDED`` at once, so a caller that never waits would pass (TEAM's bug #522):
    here every request starts ``IN_PROGRESS``, and its status says ``SUCCEEDED``. moto also finds a
    request's status among the current assignments only (a creation is unknown once deleted) and
    answers a deletion with its assignment's creation request id; requests are kept here by their
    own id. Creating an assignment that exists adds no second one, and permission set ARNs take
    AWS's form (``arn:aws:sso:::permissionSet/ssoins-.../ps-...``), which IAM policies name.
    """
    from moto.moto_api._internal import mock_random  # noqa: PLC0415 - moto is slow to import
    from moto.ssoadmin.exceptions import ResourceNotFoundException  # noqa: PLC0415
    from moto.ssoadmin.models import PermissionSet  # noqa: PLC0415
    from moto.ssoadmin.responses import SSOAdminResponse  # noqa: PLC0415

    if getattr(SSOAdminResponse, "_toolkit_fixed", False):
        return

    def permission_set_arn(instance_arn: str) -> str:
        partition, instance = instance_arn.split(":")[1], instance_arn.rsplit("/", 1)[1]
        return f"arn:{partition}:sso:::permissionSet/{instance}/ps-{mock_random.get_random_string(length=16).lower()}"

    def started(backend: Any, kind: str, summary: dict[str, Any]) -> str:
        summary = {**summary, "RequestId": str(mock_random.uuid4())}
        _assignment_requests(backend, kind)[summary["RequestId"]] = summary
        return json.dumps({f"AccountAssignment{kind}Status": {**summary, "Status": "IN_PROGRESS"}})

    def create(self: Any) -> str:
        arguments = _assignment_arguments(json.loads(self.body))
        backend = self.ssoadmin_backend
        existing = next(
            (each for each in backend.account_assignments if _assignment_arguments_of(each) == arguments), None
        )
        if existing is not None:
            return started(backend, "Creation", existing.to_json(include_creation_date=True))
        return started(backend, "Creation", backend.create_account_assignment(**arguments))

    def delete(self: Any) -> str:
        backend = self.ssoadmin_backend
        summary = backend.delete_account_assignment(**_assignment_arguments(json.loads(self.body)))
        return started(backend, "Deletion", summary)

    def describe(kind: str) -> Any:
        def status(self: Any) -> str:
            summary = _assignment_requests(self.ssoadmin_backend, kind).get(
                self._get_param(f"AccountAssignment{kind}RequestId")
            )
            if summary is None:
                raise ResourceNotFoundException("no such request")
            return json.dumps({f"AccountAssignment{kind}Status": {**summary, "Status": "SUCCEEDED"}})

        return status

    PermissionSet.generate_id = staticmethod(permission_set_arn)  # type: ignore[method-assign]
    SSOAdminResponse.create_account_assignment = create  # type: ignore[method-assign]
    SSOAdminResponse.delete_account_assignment = delete  # type: ignore[method-assign]
    SSOAdminResponse.describe_account_assignment_creation_status = describe("Creation")  # type: ignore[method-assign]
    SSOAdminResponse.describe_account_assignment_deletion_status = describe("Deletion")  # type: ignore[method-assign]
    SSOAdminResponse._toolkit_fixed = True  # type: ignore[attr-defined]


def _assignment_requests(backend: Any, kind: str) -> dict[str, dict[str, Any]]:
    """The summaries of a backend's creation (or deletion) requests, by request id."""
    return backend.__dict__.setdefault(f"_toolkit_{kind.lower()}_requests", {})


def _assignment_arguments(params: dict[str, Any]) -> dict[str, Any]:
    return {
        "instance_arn": params.get("InstanceArn"),
        "target_id": params.get("TargetId"),
        "target_type": params.get("TargetType"),
        "permission_set_arn": params.get("PermissionSetArn"),
        "principal_type": params.get("PrincipalType"),
        "principal_id": params.get("PrincipalId"),
    }


def _assignment_arguments_of(assignment: Any) -> dict[str, Any]:
    return {
        "instance_arn": assignment.instance_arn,
        "target_id": assignment.target_id,
        "target_type": assignment.target_type,
        "permission_set_arn": assignment.permission_set_arn,
        "principal_type": assignment.principal_type,
        "principal_id": assignment.principal_id,
    }


def provision_identity_center(
    session: Any, where: tuple[str, str], instance_arn: str, identity_store_id: str, permission_sets: dict[str, str]
) -> None:
    """An Identity Center instance with the policy's ARN and identity store, and its permission sets
    with the ARNs the policy names. moto makes one instance per account and region, with random
    ids, and has no ``CreateInstance``; its ``CreatePermissionSet`` makes a random ARN. ``where`` is
    the account and region."""
    from moto.ssoadmin.models import ssoadmin_backends  # noqa: PLC0415

    account_id, region = where
    backend = ssoadmin_backends[account_id][region]
    instance = backend.instances[0]
    instance.instance_arn, instance.identity_store_id = instance_arn, identity_store_id
    sso = session.client("sso-admin", region_name=region)
    for name, arn in permission_sets.items():
        created = sso.create_permission_set(Name=name, InstanceArn=instance_arn)["PermissionSet"]["PermissionSetArn"]
        backend._find_permission_set(instance_arn, created).permission_set_arn = arn
