"""Execution records: the writes and the reads by key (listing is ``dal.listing``). Every write
that must agree with another is conditional; ownership is part of the condition."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from execution_api.dal import keys
from execution_api.dal.audit import audit_item, log_audit_event
from execution_api.dal.codec import from_item, plain, to_item
from execution_api.infra.aws_errors import failed_conditions, is_conditional_failure
from execution_api.infra.clients import dynamodb_client
from execution_api.infra.timefmt import iso_millis
from execution_api.models.audit import AuditEvent
from execution_api.models.caller import Caller
from execution_api.models.domain import Execution, ExecutionState, GrantStatus, epoch_millis
from execution_api.models.errors import Conflict, NotFound
from execution_api.models.workflow_contract import ENDING_ATTRIBUTE, WAIT_STEP_ATTRIBUTE, WAIT_TOKEN_ATTRIBUTE


class ExecutionRepository:
    def __init__(self, table_name: str, audit_retention_days: int = 400) -> None:
        self.table_name = table_name
        self.audit_retention_days = audit_retention_days

    @property
    def _client(self) -> Any:
        return dynamodb_client()

    def create(self, execution: Execution, audit: AuditEvent | None = None) -> None:
        """Writes a new record, with the first event of its audit trail if given, all or nothing;
        a record with the same guid is never overwritten."""
        put_record = {
            "TableName": self.table_name,
            "Item": to_item(execution),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        try:
            if audit is None:
                self._client.put_item(**put_record)
            else:
                item = audit_item(audit, self.audit_retention_days)
                self._client.transact_write_items(
                    TransactItems=[{"Put": put_record}, {"Put": {"TableName": self.table_name, "Item": item}}]
                )
        except ClientError as error:
            if is_conditional_failure(error) or failed_conditions(error):
                raise Conflict(f"execution {execution.guid} already exists") from error
            raise
        if audit is not None:
            log_audit_event(audit)

    def remove_unstarted(self, guid: str) -> None:
        """Undoes ``create`` when the execution could not be started."""
        self._client.delete_item(TableName=self.table_name, Key=keys.record_key(guid))

    def get(self, guid: str) -> Execution | None:
        response = self._client.get_item(TableName=self.table_name, Key=keys.record_key(guid), ConsistentRead=True)
        return from_item(response["Item"]) if "Item" in response else None

    def set_public(self, guid: str, caller: Caller, is_public: bool, now_ms: int) -> Execution:
        """Sets ``is_public`` in one conditional write; the condition enforces ownership."""
        condition, names, values = _owned_condition(caller)
        values[":public"] = {"BOOL": is_public}
        values[":now"] = {"N": str(now_ms)}
        try:
            response = self._client.update_item(
                TableName=self.table_name,
                Key=keys.record_key(guid),
                UpdateExpression="SET is_public = :public, updated_on = :now",
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
                **({"ExpressionAttributeNames": names} if names else {}),
            )
        except ClientError as error:
            if is_conditional_failure(error):
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
        expires_at = current.expires_at(stop_time)
        if expires_at is not None:
            sets.append("expires_at = :expires")
            values[":expires"] = {"N": str(expires_at)}
        values[":owner_state"] = {"S": keys.owner_state(current.owner, state.value)}
        try:
            response = self._client.update_item(
                TableName=self.table_name,
                Key=keys.record_key(current.guid),
                UpdateExpression="SET " + ", ".join(sets) + " REMOVE running_shard",
                ConditionExpression="#state = :running",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as error_:
            if is_conditional_failure(error_):
                return None
            raise
        return from_item(response["Attributes"])

    def confirm_ended(self, record: Execution) -> None:
        """Marks the Step Functions execution of an already-ended record as ended too; from then on
        the record's retention counts (``expires_at``, the TTL), if its workflow has one."""
        expires_at = record.expires_at(record.stop_time) if record.stop_time else None
        update: dict[str, Any] = {"UpdateExpression": "REMOVE running_shard"}
        if expires_at is not None:
            update = {
                "UpdateExpression": "SET expires_at = :expires REMOVE running_shard",
                "ExpressionAttributeValues": {":expires": {"N": str(expires_at)}},
            }
        self._client.update_item(
            TableName=self.table_name,
            Key=keys.record_key(record.guid),
            ConditionExpression="attribute_exists(pk)",
            **update,
        )

    def unconfirmed_before(self, started_before: datetime) -> list[Execution]:
        """Records started before ``started_before`` whose execution is not known to have ended."""
        found: list[Execution] = []
        for shard in keys.RUNNING_SHARDS:
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
                Key=keys.record_key(guid),
                UpdateExpression=(
                    "SET #state = :state, owner_state = :owner_state, stop_time = :stop, updated_on = :now"
                ),
                # ``ending``: the workflow has claimed its own end (its last step); too late to stop it.
                ConditionExpression=(
                    "attribute_exists(pk) AND #owner = :owner AND #state = :running AND attribute_not_exists(#ending)"
                ),
                ExpressionAttributeNames={"#state": "state", "#owner": "owner", "#ending": ENDING_ATTRIBUTE},
                ExpressionAttributeValues={
                    ":state": {"S": state.value},
                    ":owner_state": {"S": keys.owner_state(owner, state.value)},
                    ":stop": {"S": stop},
                    ":now": {"N": str(epoch_millis(now))},
                    ":owner": {"S": owner},
                    ":running": {"S": ExecutionState.INPROGRESS.value},
                },
                ReturnValues="ALL_OLD",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not is_conditional_failure(error):
                raise
            old = error.response.get("Item")
            if old and plain(old["owner"]) == owner:
                if ENDING_ATTRIBUTE in old and plain(old["state"]) == ExecutionState.INPROGRESS:
                    raise Conflict("execution is finishing: its workflow has passed its last step") from error
                raise Conflict("execution is no longer running") from error
            raise NotFound("execution not found") from error
        old_item = response["Attributes"]
        token = old_item.get(WAIT_TOKEN_ATTRIBUTE, {}).get("S")
        ended = replace(from_item(old_item), state=state, stop_time=now, updated_on=epoch_millis(now))
        return ended, token

    def show_grant(self, guid: str, status: GrantStatus) -> None:
        """Shows an elevation's grant on its record, if the record is still there (best effort:
        what counts is the ledger, ``dal.grants``). ``granted`` never hides a revoke shown first."""
        shown = {name: value for name, value in asdict(status).items() if value is not None}
        condition = "attribute_exists(pk)"
        names: dict[str, str] = {}
        values: dict[str, Any] = {":status": {"M": {name: {"S": value} for name, value in shown.items()}}}
        if status.state == "granted":
            condition += " AND (attribute_not_exists(grant_status) OR grant_status.#grant_state = :granted)"
            names["#grant_state"] = "state"
            values[":granted"] = {"S": "granted"}
        try:
            self._client.update_item(
                TableName=self.table_name,
                Key=keys.record_key(guid),
                UpdateExpression="SET grant_status = :status",
                ConditionExpression=condition,
                **({"ExpressionAttributeNames": names} if names else {}),
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if not is_conditional_failure(error):
                raise

    def waiting_task_token(self, guid: str) -> str | None:
        """The task token of the workflow's current wait, if it is waiting."""
        response = self._client.get_item(
            TableName=self.table_name,
            Key=keys.record_key(guid),
            ProjectionExpression=WAIT_TOKEN_ATTRIBUTE,
            ConsistentRead=True,
        )
        return response.get("Item", {}).get(WAIT_TOKEN_ATTRIBUTE, {}).get("S")

    def delete(self, guid: str, caller: Caller) -> None:
        """Deletes an ended record of the caller's in one conditional write; on refusal the
        old item (returned by the failed condition) tells 404 from 409 without another read."""
        condition, names, values = _owned_condition(caller)
        values[":running"] = {"S": ExecutionState.INPROGRESS.value}
        try:
            self._client.delete_item(
                TableName=self.table_name,
                Key=keys.record_key(guid),
                ConditionExpression=f"{condition} AND #state <> :running",
                ExpressionAttributeNames={**names, "#state": "state"},
                ExpressionAttributeValues=values,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not is_conditional_failure(error):
                raise
            old = error.response.get("Item")
            if old and caller.may_access(plain(old["owner"])):
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
                        "Key": keys.record_key(guid),
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
                failed = failed_conditions(error)
                if failed is None:
                    raise
                pending = [guid for guid, refused in zip(pending, failed, strict=True) if not refused]
        return 0


def waiting_check(table_name: str, guid: str, token: str, step: str | None = None) -> dict[str, Any]:
    """A transaction item (``ConditionCheck``, or ``Update`` once given an update) whose condition is
    that ``guid``'s record still runs and waits on ``token`` (at ``step``, if given)."""
    condition = "#state = :running AND #token = :token"
    names = {"#state": "state", "#token": WAIT_TOKEN_ATTRIBUTE}
    values = {":running": {"S": ExecutionState.INPROGRESS.value}, ":token": {"S": token}}
    if step is not None:
        condition += " AND #step = :step"
        names["#step"] = WAIT_STEP_ATTRIBUTE
        values[":step"] = {"S": step}
    return {
        "TableName": table_name,
        "Key": keys.record_key(guid),
        "ConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


def _owned_condition(caller: Caller) -> tuple[str, dict[str, str], dict[str, Any]]:
    """A condition that the record exists and, unless the caller is an admin, is theirs."""
    if caller.is_admin:
        return "attribute_exists(pk)", {}, {}
    return "attribute_exists(pk) AND #owner = :caller", {"#owner": "owner"}, {":caller": {"S": caller.identity}}
