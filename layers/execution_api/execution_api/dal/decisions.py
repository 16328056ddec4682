"""Decision steps: who must decide (``ByRecipient``), the votes, and used link nonces.

Items (keys in ``dal.keys``): the step (votes and outcome), a pending item per recipient (what waits
for whom, indexed by ``recipient``), one item per vote (who, decision, comment) and one per used link
nonce. Short-lived items carry ``expires_at`` for TTL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from execution_api.dal import keys
from execution_api.dal.codec import from_item
from execution_api.infra.aws_errors import failed_conditions
from execution_api.infra.clients import dynamodb_client
from execution_api.infra.timefmt import iso_millis
from execution_api.models.domain import Execution, ExecutionState, utc_now
from execution_api.models.errors import Conflict
from execution_api.models.workflow_contract import WAIT_STEP_ATTRIBUTE, WAIT_TOKEN_ATTRIBUTE


def _pk_sk(key: keys.Key) -> tuple[str, str]:
    return key["pk"]["S"], key["sk"]["S"]


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


class DecisionRepository:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    @property
    def _client(self) -> Any:
        return dynamodb_client()

    def load(self, guid: str, step: str) -> DecisionState:
        response = self._client.transact_get_items(
            TransactItems=[
                {"Get": {"TableName": self.table_name, "Key": keys.record_key(guid)}},
                {"Get": {"TableName": self.table_name, "Key": keys.decision_key(guid, step)}},
            ]
        )
        record, decision = (entry.get("Item") for entry in response["Responses"])
        return _decision_state(record, decision)

    def load_many(self, steps: list[tuple[str, str]]) -> dict[tuple[str, str], DecisionState]:
        """Decision states of up to 50 ``(guid, step)`` pairs in one BatchGetItem (plus retries)."""
        wanted = [keys.record_key(guid) for guid, _ in steps] + [keys.decision_key(guid, step) for guid, step in steps]
        unique = list({json.dumps(key, sort_keys=True): key for key in wanted}.values())
        items: dict[tuple[str, str], dict[str, Any]] = {}
        while unique:
            response = self._client.batch_get_item(RequestItems={self.table_name: {"Keys": unique}})
            for item in response["Responses"].get(self.table_name, []):
                items[_pk_sk(item)] = item
            unique = response.get("UnprocessedKeys", {}).get(self.table_name, {}).get("Keys", [])
        return {
            (guid, step): _decision_state(
                items.get(_pk_sk(keys.record_key(guid))), items.get(_pk_sk(keys.decision_key(guid, step)))
            )
            for guid, step in steps
        }

    def add_pending(self, execution: Execution, step: str, recipients: list[str], expires_at: int) -> None:
        requests = [
            {
                "PutRequest": {
                    "Item": {
                        **keys.pending_key(execution.guid, step, recipient),
                        "recipient": {"S": recipient},
                        "start_key": {"S": keys.start_key(execution.start_time, execution.guid)},
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
            **keys.vote_key(guid, step, voter),
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
                            "Item": {**keys.nonce_key(nonce), "expires_at": {"N": str(nonce_expires_at)}},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.table_name,
                            "Key": keys.decision_key(guid, step),
                            "UpdateExpression": update,
                            "ConditionExpression": vote_condition,
                            "ExpressionAttributeValues": values,
                        }
                    },
                    {"Put": {"TableName": self.table_name, "Item": vote}},
                    {
                        "ConditionCheck": {
                            "TableName": self.table_name,
                            "Key": keys.record_key(guid),
                            "ConditionExpression": "#state = :running AND #step = :step AND #token = :token",
                            "ExpressionAttributeNames": {
                                "#state": "state",
                                "#step": WAIT_STEP_ATTRIBUTE,
                                "#token": WAIT_TOKEN_ATTRIBUTE,
                            },
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
            failed = failed_conditions(error)
            if failed is None:
                raise
            if failed[0]:
                raise Conflict("input: this link has already been used") from error
            if failed[3]:
                raise Conflict("the execution is no longer waiting for this decision") from error
            raise Conflict("another decision was recorded at the same moment: retry") from error

    def nonce_used(self, nonce: str) -> bool:
        response = self._client.get_item(TableName=self.table_name, Key=keys.nonce_key(nonce), ConsistentRead=True)
        return "Item" in response

    def undo_vote(self, guid: str, step: str, nonce: str, voter: str) -> None:
        """Reverts ``record_vote`` when the workflow could not be resumed, so the link works again."""
        self._client.transact_write_items(
            TransactItems=[
                {"Delete": {"TableName": self.table_name, "Key": keys.nonce_key(nonce)}},
                {"Delete": {"TableName": self.table_name, "Key": keys.vote_key(guid, step, voter)}},
                {
                    "Update": {
                        "TableName": self.table_name,
                        "Key": keys.decision_key(guid, step),
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
        wait_step=(record or {}).get(WAIT_STEP_ATTRIBUTE, {}).get("S"),
        wait_token=(record or {}).get(WAIT_TOKEN_ATTRIBUTE, {}).get("S"),
        approvals=frozenset(decision.get("approvals", {}).get("SS", [])),
        decided=decision.get("decided", {}).get("S"),
    )
