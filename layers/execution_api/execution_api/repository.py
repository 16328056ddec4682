"""All DynamoDB keys and queries of the executions table, and nothing else.

Key design (written down beside the table in ``template.yaml`` too):

=================  ============================  ==========================================
item / index       partition key                 sort key
=================  ============================  ==========================================
execution record   ``pk = EXEC#<guid>``          ``sk = RECORD``
ByOwner            ``owner = <user>``            ``start_key = <start_time>#<guid>``
ByOwnerState       ``owner_state = <user>#<st>`` ``start_key``
ByOwnerWorkflow    ``owner_workflow = <user>#<w>`` ``start_key``
ByOwnerSession     ``owner_session = <user>#<s>`` ``start_key`` (sparse: only with a session)
=================  ============================  ==========================================

Every ``GET /executions`` filter is then one Query on one owner-scoped partition, newest first,
and a date range is a ``BETWEEN`` on ``start_key``. State, workflow and session never contain
``#``, so the composite keys cannot collide whatever the user name holds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from execution_api.aws import dynamodb_client
from execution_api.errors import Conflict, NotFound
from execution_api.identity import Caller
from execution_api.models import Execution, ExecutionState, utc_now
from execution_api.timefmt import iso_millis

RECORD_SK = "RECORD"
_FILTERED_PAGE_ITEMS = 500
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


@dataclass(frozen=True)
class ExecutionFilter:
    """What a list request selects; ``owner`` is always set: lists are owner-scoped."""

    owner: str
    state: ExecutionState | None = None
    workflow: str | None = None
    session_id: str | None = None
    start_from: datetime | None = None
    start_to: datetime | None = None


@dataclass(frozen=True)
class _IndexChoice:
    name: str
    key_attribute: str
    key_value: str


def record_key(guid: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"EXEC#{guid}"}, "sk": {"S": RECORD_SK}}


RUNNING_SHARDS = tuple(f"RUNNING#{digit}" for digit in "0123456789abcdef")


def running_shard(guid: str) -> str:
    """Records whose Step Functions execution is not yet known to have ended carry this
    (sparse ``ByRunning`` index, 16 shards by the guid's first digit); status sync removes it."""
    return f"RUNNING#{guid[0]}"


def _start_key(execution: Execution) -> str:
    return f"{iso_millis(execution.start_time)}#{execution.guid}"


def to_item(execution: Execution) -> dict[str, Any]:
    owner = execution.owner
    item: dict[str, Any] = {
        "pk": f"EXEC#{execution.guid}",
        "sk": RECORD_SK,
        "guid": execution.guid,
        "workflow_id": execution.workflow_id,
        "workflow": execution.workflow,
        "agentflow_id": execution.agentflow_id,
        "state_machine_name": execution.state_machine_name,
        "owner": owner,
        "state": execution.state.value,
        "start_key": _start_key(execution),
        "start_time": iso_millis(execution.start_time),
        "created_on": execution.created_on,
        "updated_on": execution.updated_on,
        "is_public": execution.is_public,
        "input_json": json.dumps(execution.input),
        "owner_state": f"{owner}#{execution.state.value}",
        "owner_workflow": f"{owner}#{execution.workflow}",
    }
    if execution.state is ExecutionState.INPROGRESS:
        item["running_shard"] = running_shard(execution.guid)
    if execution.approvers:
        item["approvers"] = execution.approvers
        item["required_approvals"] = execution.required_approvals
    if execution.session_id:
        item["session_id"] = execution.session_id
        item["owner_session"] = f"{owner}#{execution.session_id}"
    if execution.stop_time:
        item["stop_time"] = iso_millis(execution.stop_time)
    if execution.output is not None:
        item["output_json"] = json.dumps(execution.output)
    if execution.error is not None:
        item["error_json"] = json.dumps(execution.error)
    return {name: _serializer.serialize(value) for name, value in item.items()}


def from_item(raw: dict[str, Any]) -> Execution:
    item = {name: _deserializer.deserialize(value) for name, value in raw.items()}
    return Execution(
        guid=item["guid"],
        workflow_id=item["workflow_id"],
        workflow=item["workflow"],
        agentflow_id=item["agentflow_id"],
        state_machine_name=item["state_machine_name"],
        owner=item["owner"],
        session_id=item.get("session_id"),
        state=ExecutionState(item["state"]),
        start_time=datetime.fromisoformat(item["start_time"]),
        stop_time=datetime.fromisoformat(item["stop_time"]) if item.get("stop_time") else None,
        created_on=int(item["created_on"]),
        updated_on=int(item["updated_on"]),
        is_public=bool(item.get("is_public", False)),
        input=json.loads(item["input_json"]) if "input_json" in item else None,
        output=json.loads(item["output_json"]) if "output_json" in item else None,
        error=json.loads(item["error_json"]) if "error_json" in item else None,
        approvers=list(item.get("approvers", [])),
        required_approvals=int(item.get("required_approvals", 1)),
    )


class ExecutionRepository:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    @property
    def _client(self) -> Any:
        return dynamodb_client()

    def create(self, execution: Execution) -> None:
        """Writes a new record; a record with the same guid is never overwritten."""
        try:
            self._client.put_item(
                TableName=self.table_name,
                Item=to_item(execution),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if _is_conditional_failure(error):
                raise Conflict(f"execution {execution.guid} already exists") from error
            raise

    def remove_unstarted(self, guid: str) -> None:
        """Undoes ``create`` when the execution could not be started."""
        self._client.delete_item(TableName=self.table_name, Key=record_key(guid))

    def get(self, guid: str) -> Execution | None:
        response = self._client.get_item(TableName=self.table_name, Key=record_key(guid), ConsistentRead=True)
        return from_item(response["Item"]) if "Item" in response else None

    def get_many(self, guids: list[str]) -> list[Execution]:
        """Up to 100 records in one BatchGetItem (plus retries of unprocessed keys)."""
        keys = [record_key(guid) for guid in guids]
        found: list[Execution] = []
        while keys:
            response = self._client.batch_get_item(
                RequestItems={self.table_name: {"Keys": keys, "ConsistentRead": True}}
            )
            found.extend(from_item(item) for item in response["Responses"].get(self.table_name, []))
            keys = response.get("UnprocessedKeys", {}).get(self.table_name, {}).get("Keys", [])
        return found

    def set_public(self, guid: str, caller: Caller, is_public: bool, now_ms: int) -> Execution:
        """Sets ``is_public`` in one conditional write; the condition enforces ownership."""
        condition, names, values = _owned_condition(caller)
        values[":public"] = {"BOOL": is_public}
        values[":now"] = {"N": str(now_ms)}
        try:
            response = self._client.update_item(
                TableName=self.table_name,
                Key=record_key(guid),
                UpdateExpression="SET is_public = :public, updated_on = :now",
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
                **({"ExpressionAttributeNames": names} if names else {}),
            )
        except ClientError as error:
            if _is_conditional_failure(error):
                raise NotFound("execution not found") from error
            raise
        return from_item(response["Attributes"])

    def record_terminal_state(
        self,
        current: Execution,
        state: ExecutionState,
        stop_time: datetime,
        now_ms: int,
        *,
        output: Any = None,
        error: dict[str, Any] | None = None,
    ) -> Execution | None:
        """Moves the running record ``current`` to ``state``; ``None`` if it had already ended.

        The write is conditional on the stored state still being INPROGRESS, so a terminal state
        never changes again whatever order concurrent writers arrive in.
        """
        names = {"#state": "state"}
        values: dict[str, Any] = {
            ":running": {"S": ExecutionState.INPROGRESS.value},
            ":state": {"S": state.value},
            ":stop": {"S": iso_millis(stop_time)},
            ":now": {"N": str(now_ms)},
        }
        sets = ["#state = :state", "stop_time = :stop", "updated_on = :now", "owner_state = :owner_state"]
        if output is not None:
            sets.append("output_json = :output")
            values[":output"] = {"S": json.dumps(output)}
        if error is not None:
            sets.append("error_json = :error")
            values[":error"] = {"S": json.dumps(error)}
        values[":owner_state"] = {"S": f"{current.owner}#{state.value}"}
        try:
            response = self._client.update_item(
                TableName=self.table_name,
                Key=record_key(current.guid),
                UpdateExpression="SET " + ", ".join(sets) + " REMOVE running_shard",
                ConditionExpression="#state = :running",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as error_:
            if _is_conditional_failure(error_):
                return None
            raise
        return from_item(response["Attributes"])

    def confirm_ended(self, guid: str) -> None:
        """Marks the Step Functions execution of an already-ended record as ended too."""
        self._client.update_item(
            TableName=self.table_name,
            Key=record_key(guid),
            UpdateExpression="REMOVE running_shard",
            ConditionExpression="attribute_exists(pk)",
        )

    def unconfirmed_before(self, started_before: datetime) -> list[Execution]:
        """Records started before ``started_before`` whose execution is not known to have ended."""
        found: list[Execution] = []
        for shard in RUNNING_SHARDS:
            request: dict[str, Any] = {
                "TableName": self.table_name,
                "IndexName": "ByRunning",
                "KeyConditionExpression": "running_shard = :shard AND start_key < :before",
                "ExpressionAttributeValues": {
                    ":shard": {"S": shard},
                    ":before": {"S": iso_millis(started_before)},
                },
            }
            while True:
                response = self._client.query(**request)
                found.extend(from_item(item) for item in response["Items"])
                if "LastEvaluatedKey" not in response:
                    break
                request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return found

    def end_on_request(
        self, guid: str, owner: str, state: ExecutionState, now: datetime
    ) -> tuple[Execution, str | None]:
        """Ends ``owner``'s running execution as ``state`` (STOPPED or TERMINATED) in one
        conditional write, and returns the new record with the task token the workflow had
        registered for its current wait (read atomically with the write), if any.
        """
        stop = iso_millis(now)
        try:
            response = self._client.update_item(
                TableName=self.table_name,
                Key=record_key(guid),
                UpdateExpression=(
                    "SET #state = :state, owner_state = :owner_state, stop_time = :stop, updated_on = :now"
                ),
                # ``ending``: the workflow has claimed its own end (its last step); too late to stop it.
                ConditionExpression=(
                    "attribute_exists(pk) AND #owner = :owner AND #state = :running AND attribute_not_exists(ending)"
                ),
                ExpressionAttributeNames={"#state": "state", "#owner": "owner"},
                ExpressionAttributeValues={
                    ":state": {"S": state.value},
                    ":owner_state": {"S": f"{owner}#{state.value}"},
                    ":stop": {"S": stop},
                    ":now": {"N": str(int(now.timestamp() * 1000))},
                    ":owner": {"S": owner},
                    ":running": {"S": ExecutionState.INPROGRESS.value},
                },
                ReturnValues="ALL_OLD",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not _is_conditional_failure(error):
                raise
            old = error.response.get("Item")
            if old and _deserializer.deserialize(old["owner"]) == owner:
                if "ending" in old and _deserializer.deserialize(old["state"]) == ExecutionState.INPROGRESS:
                    raise Conflict("execution is finishing: its workflow has passed its last step") from error
                raise Conflict("execution is no longer running") from error
            raise NotFound("execution not found") from error
        old_item = response["Attributes"]
        token = old_item.get("wait_token", {}).get("S")
        ended = replace(from_item(old_item), state=state, stop_time=now, updated_on=int(now.timestamp() * 1000))
        return ended, token

    def waiting_task_token(self, guid: str) -> str | None:
        """The task token of the workflow's current wait (the local server's moto workaround)."""
        response = self._client.get_item(
            TableName=self.table_name, Key=record_key(guid), ProjectionExpression="wait_token"
        )
        return response.get("Item", {}).get("wait_token", {}).get("S")

    def delete(self, guid: str, caller: Caller) -> None:
        """Deletes an ended record of the caller's in one conditional write; on refusal the
        old item (returned by the failed condition) tells 404 from 409 without another read."""
        condition, names, values = _owned_condition(caller)
        values[":running"] = {"S": ExecutionState.INPROGRESS.value}
        try:
            self._client.delete_item(
                TableName=self.table_name,
                Key=record_key(guid),
                ConditionExpression=f"{condition} AND #state <> :running",
                ExpressionAttributeNames={**names, "#state": "state"},
                ExpressionAttributeValues=values,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not _is_conditional_failure(error):
                raise
            old = error.response.get("Item")
            if old and caller.may_access(_deserializer.deserialize(old["owner"])):
                raise Conflict("execution is still running: cancel or terminate it first") from error
            raise NotFound("execution not found") from error

    def delete_many(self, guids: list[str], caller: Caller) -> int:
        """Deletes the caller's ended records among ``guids`` (at most 100); returns how many.

        One transaction whose conditions carry ownership and state; if some ids fail them, the
        transaction is retried once without those, so the usual cost is one or two round trips.
        """
        condition, names, values = _owned_condition(caller)
        values[":running"] = {"S": ExecutionState.INPROGRESS.value}
        pending = list(dict.fromkeys(guids))
        while pending:
            actions = [
                {
                    "Delete": {
                        "TableName": self.table_name,
                        "Key": record_key(guid),
                        "ConditionExpression": f"{condition} AND #state <> :running",
                        "ExpressionAttributeNames": {**names, "#state": "state"},
                        "ExpressionAttributeValues": values,
                    }
                }
                for guid in pending
            ]
            try:
                self._client.transact_write_items(TransactItems=actions)
                return len(pending)
            except ClientError as error:
                reasons = error.response.get("CancellationReasons")
                if error.response["Error"]["Code"] != "TransactionCanceledException" or not reasons:
                    raise
                failed = {i for i, reason in enumerate(reasons) if reason.get("Code") == "ConditionalCheckFailed"}
                if not failed:
                    raise
                pending = [guid for i, guid in enumerate(pending) if i not in failed]
        return 0

    def query_page(
        self, selection: ExecutionFilter, limit: int, start_key: dict[str, Any] | None
    ) -> tuple[list[Execution], dict[str, Any] | None, int]:
        """Newest-first page of ``limit`` records; returns them, the key to go on from, and
        the items DynamoDB read (the sum of ``ScannedCount``).

        Reads ``limit + 1`` items so that the cursor is only given when more exist.
        """
        request = self._query_request(selection)
        items: list[dict[str, Any]] = []
        scanned = 0
        # DynamoDB applies Limit before a FilterExpression: with one, read wider pages and trim,
        # rather than paying a round trip per handful of matches.
        filtered = "FilterExpression" in request
        while len(items) <= limit:
            kwargs = dict(request, Limit=_FILTERED_PAGE_ITEMS if filtered else limit + 1 - len(items))
            if start_key:
                kwargs["ExclusiveStartKey"] = start_key
            response = self._client.query(**kwargs)
            scanned += response["ScannedCount"]
            items.extend(response["Items"])
            start_key = response.get("LastEvaluatedKey")
            if not start_key:
                break
        page = items[:limit]
        more = len(items) > limit
        next_key = _key_of(page[-1], request["IndexName"]) if more and page else None
        return [from_item(item) for item in page], next_key, scanned

    def skip(self, selection: ExecutionFilter, count: int) -> tuple[dict[str, Any] | None, bool]:
        """The key after the first ``count`` matches (for ``page`` > 1 without a cursor)."""
        request = self._query_request(selection)
        request["ProjectionExpression"] = "pk, sk, start_key, #k"
        request.setdefault("ExpressionAttributeNames", {})["#k"] = _INDEX_BY_NAME[request["IndexName"]]
        seen = 0
        start_key = None
        last = None
        while seen < count:
            kwargs = dict(request, Limit=count - seen)
            if start_key:
                kwargs["ExclusiveStartKey"] = start_key
            response = self._client.query(**kwargs)
            seen += len(response["Items"])
            if response["Items"]:
                last = response["Items"][-1]
            start_key = response.get("LastEvaluatedKey")
            if not start_key:
                break
        if seen < count or last is None:
            return None, False
        return _key_of(last, request["IndexName"]), True

    def count(self, selection: ExecutionFilter) -> int:
        """How many records match (a ``Select=COUNT`` Query over the same partition)."""
        request = dict(self._query_request(selection), Select="COUNT")
        total = 0
        while True:
            response = self._client.query(**request)
            total += response["Count"]
            if "LastEvaluatedKey" not in response:
                return total
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _query_request(self, selection: ExecutionFilter) -> dict[str, Any]:
        index = _choose_index(selection)
        names = {"#pk": index.key_attribute}
        values: dict[str, Any] = {":pk": {"S": index.key_value}}
        condition = "#pk = :pk"
        if selection.start_from and selection.start_to:
            condition += " AND start_key BETWEEN :from AND :to"
        elif selection.start_from:
            condition += " AND start_key >= :from"
        elif selection.start_to:
            condition += " AND start_key <= :to"
        if selection.start_from:
            values[":from"] = {"S": iso_millis(selection.start_from)}
        if selection.start_to:
            # '~' sorts after the '#<guid>' suffix, so the end instant itself is included.
            values[":to"] = {"S": iso_millis(selection.start_to) + "~"}
        filters = []
        if selection.state and index.name != "ByOwnerState":
            filters.append("#state = :state")
            names["#state"] = "state"
            values[":state"] = {"S": selection.state.value}
        if selection.workflow and index.name != "ByOwnerWorkflow":
            filters.append("workflow = :workflow")
            values[":workflow"] = {"S": selection.workflow}
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": index.name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
        }
        if filters:
            request["FilterExpression"] = " AND ".join(filters)
        return request


_INDEX_BY_NAME = {
    "ByOwner": "owner",
    "ByOwnerState": "owner_state",
    "ByOwnerWorkflow": "owner_workflow",
    "ByOwnerSession": "owner_session",
}


def _choose_index(selection: ExecutionFilter) -> _IndexChoice:
    """The most selective owner-scoped index; other filters become a FilterExpression."""
    owner = selection.owner
    if selection.session_id:
        return _IndexChoice("ByOwnerSession", "owner_session", f"{owner}#{selection.session_id}")
    if selection.workflow:
        return _IndexChoice("ByOwnerWorkflow", "owner_workflow", f"{owner}#{selection.workflow}")
    if selection.state:
        return _IndexChoice("ByOwnerState", "owner_state", f"{owner}#{selection.state.value}")
    return _IndexChoice("ByOwner", "owner", owner)


def _key_of(item: dict[str, Any], index_name: str) -> dict[str, Any]:
    names = ("pk", "sk", "start_key", _INDEX_BY_NAME[index_name])
    return {name: item[name] for name in names}


def _owned_condition(caller: Caller) -> tuple[str, dict[str, str], dict[str, Any]]:
    """A condition that the record exists and, unless the caller is an admin, is theirs."""
    if caller.is_admin:
        return "attribute_exists(pk)", {}, {}
    return "attribute_exists(pk) AND #owner = :caller", {"#owner": "owner"}, {":caller": {"S": caller.identity}}


def _is_conditional_failure(error: ClientError) -> bool:
    return error.response["Error"]["Code"] == "ConditionalCheckFailedException"


@dataclass(frozen=True)
class DecisionState:
    """A decision step as the signal endpoint sees it, read in one round trip."""

    execution: Execution | None
    wait_step: str | None
    wait_token: str | None
    approvals: frozenset[str]
    decided: str | None


@dataclass(frozen=True)
class PendingDecision:
    guid: str
    step: str
    recipient: str
    expires_at: int


def _decision_key(guid: str, step: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"EXEC#{guid}"}, "sk": {"S": f"DECISION#{step}"}}


def _pending_key(guid: str, step: str, recipient: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"EXEC#{guid}"}, "sk": {"S": f"PENDING#{step}#{recipient}"}}


def _vote_key(guid: str, step: str, voter: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"EXEC#{guid}"}, "sk": {"S": f"VOTE#{step}#{voter}"}}


def _nonce_key(nonce: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"NONCE#{nonce}"}, "sk": {"S": "NONCE"}}


class DecisionRepository:
    """Decision steps: pending recipients (``ByRecipient``), votes, and used link nonces.

    Items: ``EXEC#<guid> / DECISION#<step>`` (votes, outcome), ``EXEC#<guid> / PENDING#<step>#<who>``
    (what waits for whom, indexed by ``recipient``), ``NONCE#<id> / NONCE`` (a used link). Short-lived
    items carry ``expires_at`` for TTL.
    """

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    @property
    def _client(self) -> Any:
        return dynamodb_client()

    def load(self, guid: str, step: str) -> DecisionState:
        response = self._client.transact_get_items(
            TransactItems=[
                {"Get": {"TableName": self.table_name, "Key": record_key(guid)}},
                {"Get": {"TableName": self.table_name, "Key": _decision_key(guid, step)}},
            ]
        )
        record, decision = (entry.get("Item") for entry in response["Responses"])
        return _decision_state(record, decision)

    def load_many(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], DecisionState]:
        """Decision states of up to 50 ``(guid, step)`` pairs in one BatchGetItem (plus retries)."""
        wanted = [record_key(guid) for guid, _ in keys] + [_decision_key(guid, step) for guid, step in keys]
        unique = list({json.dumps(key, sort_keys=True): key for key in wanted}.values())
        items: dict[tuple[str, str], dict[str, Any]] = {}
        while unique:
            response = self._client.batch_get_item(RequestItems={self.table_name: {"Keys": unique}})
            for item in response["Responses"].get(self.table_name, []):
                items[(item["pk"]["S"], item["sk"]["S"])] = item
            unique = response.get("UnprocessedKeys", {}).get(self.table_name, {}).get("Keys", [])
        return {
            (guid, step): _decision_state(
                items.get((f"EXEC#{guid}", RECORD_SK)), items.get((f"EXEC#{guid}", f"DECISION#{step}"))
            )
            for guid, step in keys
        }

    def add_pending(self, execution: Execution, step: str, recipients: list[str], expires_at: int) -> None:
        requests = [
            {
                "PutRequest": {
                    "Item": {
                        **_pending_key(execution.guid, step, recipient),
                        "recipient": {"S": recipient},
                        "start_key": {"S": _start_key(execution)},
                        "guid": {"S": execution.guid},
                        "step": {"S": step},
                        "expires_at": {"N": str(expires_at)},
                    }
                }
            }
            for recipient in recipients
        ]
        for start in range(0, len(requests), 25):
            batch = {self.table_name: requests[start : start + 25]}
            while batch:
                batch = self._client.batch_write_item(RequestItems=batch).get("UnprocessedItems") or {}

    def pending_for(self, recipient: str, now_epoch: int, limit: int = 50) -> list[PendingDecision]:
        response = self._client.query(
            TableName=self.table_name,
            IndexName="ByRecipient",
            KeyConditionExpression="recipient = :who",
            FilterExpression="expires_at > :now",
            ExpressionAttributeValues={":who": {"S": recipient}, ":now": {"N": str(now_epoch)}},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [
            PendingDecision(
                guid=item["guid"]["S"],
                step=item["step"]["S"],
                recipient=recipient,
                expires_at=int(item["expires_at"]["N"]),
            )
            for item in response["Items"]
        ]

    def record_vote(
        self,
        state: DecisionState,
        step: str,
        *,
        nonce: str,
        voter: str,
        outcome: str | None,
        nonce_expires_at: int,
        comment: str | None = None,
    ) -> None:
        """Spends the link's nonce, adds the vote and, if it decides, the outcome (``approved``
        or ``denied``) — all or nothing, and only if the step is still waiting on the same task
        token and nobody voted in between."""
        assert state.execution is not None
        guid = state.execution.guid
        vote_condition = "attribute_not_exists(decided) AND " + (
            "size(approvals) = :seen" if state.approvals else "attribute_not_exists(approvals)"
        )
        values: dict[str, Any] = {":voter": {"SS": [voter]}}
        if state.approvals:
            values[":seen"] = {"N": str(len(state.approvals))}
        update = f"ADD {'denials' if outcome == 'denied' else 'approvals'} :voter"
        if outcome:
            update += " SET decided = :outcome"
            values[":outcome"] = {"S": outcome}
        vote: dict[str, Any] = {
            **_vote_key(guid, step, voter),
            "voter": {"S": voter},
            "decision": {"S": "deny" if outcome == "denied" else "approve"},
            "at": {"S": iso_millis(utc_now())},
        }
        if comment:
            vote["comment"] = {"S": comment}
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table_name,
                            "Item": {**_nonce_key(nonce), "expires_at": {"N": str(nonce_expires_at)}},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.table_name,
                            "Key": _decision_key(guid, step),
                            "UpdateExpression": update,
                            "ConditionExpression": vote_condition,
                            "ExpressionAttributeValues": values,
                        }
                    },
                    {"Put": {"TableName": self.table_name, "Item": vote}},
                    {
                        "ConditionCheck": {
                            "TableName": self.table_name,
                            "Key": record_key(guid),
                            "ConditionExpression": "#state = :running AND wait_step = :step AND wait_token = :token",
                            "ExpressionAttributeNames": {"#state": "state"},
                            "ExpressionAttributeValues": {
                                ":running": {"S": ExecutionState.INPROGRESS.value},
                                ":step": {"S": step},
                                ":token": {"S": state.wait_token or ""},
                            },
                        }
                    },
                ]
            )
        except ClientError as error:
            reasons = error.response.get("CancellationReasons") or []
            failed = [reason.get("Code") == "ConditionalCheckFailed" for reason in reasons]
            if error.response["Error"]["Code"] != "TransactionCanceledException" or not any(failed):
                raise
            if failed[0]:
                raise Conflict("input: this link has already been used") from error
            if failed[3]:
                raise Conflict("the execution is no longer waiting for this decision") from error
            raise Conflict("another decision was recorded at the same moment: retry") from error

    def nonce_used(self, nonce: str) -> bool:
        response = self._client.get_item(TableName=self.table_name, Key=_nonce_key(nonce), ConsistentRead=True)
        return "Item" in response

    def undo_vote(self, guid: str, step: str, nonce: str, voter: str) -> None:
        """Reverts ``record_vote`` when the workflow could not be resumed, so the link works again."""
        self._client.transact_write_items(
            TransactItems=[
                {"Delete": {"TableName": self.table_name, "Key": _nonce_key(nonce)}},
                {"Delete": {"TableName": self.table_name, "Key": _vote_key(guid, step, voter)}},
                {
                    "Update": {
                        "TableName": self.table_name,
                        "Key": _decision_key(guid, step),
                        "UpdateExpression": "DELETE approvals :voter, denials :voter REMOVE decided",
                        "ExpressionAttributeValues": {":voter": {"SS": [voter]}},
                    }
                },
            ]
        )


def _decision_state(record: dict[str, Any] | None, decision: dict[str, Any] | None) -> DecisionState:
    decision = decision or {}
    return DecisionState(
        execution=from_item(record) if record else None,
        wait_step=(record or {}).get("wait_step", {}).get("S"),
        wait_token=(record or {}).get("wait_token", {}).get("S"),
        approvals=frozenset(decision.get("approvals", {}).get("SS", [])),
        decided=decision.get("decided", {}).get("S"),
    )
