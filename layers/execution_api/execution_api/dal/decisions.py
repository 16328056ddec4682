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
from execution_api.dal.executions import waiting_check
from execution_api.infra.aws_errors import failed_conditions, is_conditional_failure
from execution_api.infra.clients import dynamodb_client
from execution_api.infra.timefmt import iso_millis
from execution_api.models.domain import Execution, utc_now
from execution_api.models.errors import Conflict
from execution_api.models.workflow_contract import WAIT_STEP_ATTRIBUTE, WAIT_TOKEN_ATTRIBUTE

_BATCH_GET_LIMIT = 100  # keys per BatchGetItem request


def _pk_sk(key: keys.Key) -> tuple[str, str]:
    return key["pk"]["S"], key["sk"]["S"]


@dataclass(frozen=True)
class DecisionState:
    """A decision step as the signal endpoint sees it, read in one round trip."""

    execution: Execution | None
    wait_step: str | None
    wait_token: str | None
    approvals: frozenset[str]  # the approvers' canonical identities
    decided: str | None
    approval_emails: frozenset[str] = frozenset()  # their verified emails, casefolded
    approval_names: frozenset[str] = frozenset()  # for people to read

    def counts(self, identity: str, email: str | None) -> bool:
        """Whether this person has approved already, under this identity or this email."""
        return identity in self.approvals or bool(email and email.casefold() in self.approval_emails)


@dataclass(frozen=True)
class Vote:
    identity: str
    email: str | None
    name: str
    decision: str  # approve | deny
    comment: str | None = None


@dataclass(frozen=True)
class PendingDecision:
    guid: str
    step: str
    recipient: str
    expires_at: int
    start_key: str
    notified: bool = False


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
        """Decision states of ``(guid, step)`` pairs: their records and decisions, read by
        BatchGetItem in requests of at most 100 keys (its limit), unprocessed keys retried."""
        wanted = [keys.record_key(guid) for guid, _ in steps] + [keys.decision_key(guid, step) for guid, step in steps]
        unread = list({json.dumps(key, sort_keys=True): key for key in wanted}.values())
        items: dict[tuple[str, str], dict[str, Any]] = {}
        while unread:
            batch, unread = unread[:_BATCH_GET_LIMIT], unread[_BATCH_GET_LIMIT:]
            response = self._client.batch_get_item(RequestItems={self.table_name: {"Keys": batch}})
            for item in response["Responses"].get(self.table_name, []):
                items[_pk_sk(item)] = item
            unread += response.get("UnprocessedKeys", {}).get(self.table_name, {}).get("Keys", [])
        return {
            (guid, step): _decision_state(
                items.get(_pk_sk(keys.record_key(guid))), items.get(_pk_sk(keys.decision_key(guid, step)))
            )
            for guid, step in steps
        }

    def add_pending(self, execution: Execution, step: str, recipient: str, expires_at: int) -> PendingDecision:
        """What ``recipient`` must decide; written once (an announcement retried keeps whom it
        has notified already)."""
        item = {
            **keys.pending_key(execution.guid, step, recipient),
            "recipient": {"S": recipient},
            "start_key": {"S": keys.start_key(execution.start_time, execution.guid)},
            "guid": {"S": execution.guid},
            "step": {"S": step},
            "expires_at": {"N": str(expires_at)},
        }
        try:
            self._client.put_item(TableName=self.table_name, Item=item, ConditionExpression="attribute_not_exists(pk)")
        except ClientError as error:
            if not is_conditional_failure(error):
                raise
            existing = self._client.get_item(
                TableName=self.table_name, Key=keys.pending_key(execution.guid, step, recipient), ConsistentRead=True
            )
            item = existing["Item"]
        return _pending(item)

    def mark_notified(self, pending: PendingDecision) -> None:
        self._client.update_item(
            TableName=self.table_name,
            Key=keys.pending_key(pending.guid, pending.step, pending.recipient),
            UpdateExpression="SET notified_at = :now",
            ExpressionAttributeValues={":now": {"S": iso_millis(utc_now())}},
        )

    def pending_for(
        self, recipients: list[str], now_epoch: int, limit: int, before: str | None = None
    ) -> tuple[list[PendingDecision], bool]:
        """The newest ``limit`` decisions addressed to any of ``recipients`` (a person and their
        groups), older than ``before`` (a ``start_key``); and whether more exist. One Query per
        recipient, merged newest first; one decision addressed twice counts once."""
        found: dict[tuple[str, str], PendingDecision] = {}
        more = False
        for recipient in recipients:
            condition = "recipient = :who" + (" AND start_key < :before" if before else "")
            values = {":who": {"S": recipient}, ":now": {"N": str(now_epoch)}}
            if before:
                values[":before"] = {"S": before}
            response = self._client.query(
                TableName=self.table_name,
                IndexName="ByRecipient",
                KeyConditionExpression=condition,
                FilterExpression="expires_at > :now",
                ExpressionAttributeValues=values,
                ScanIndexForward=False,
                Limit=limit + 1,
            )
            more = more or "LastEvaluatedKey" in response
            for item in response["Items"]:
                pending = _pending(item)
                found.setdefault((pending.guid, pending.step), pending)
        ordered = sorted(found.values(), key=lambda pending: pending.start_key, reverse=True)
        return ordered[:limit], more or len(ordered) > limit

    def record_vote(
        self,
        state: DecisionState,
        step: str,
        vote: Vote,
        *,
        nonce: str,
        nonce_expires_at: int,
        outcome: str | None,
        approved_by: list[str] | None = None,
    ) -> None:
        """Spends the link's nonce, adds the vote and, if it decides, the outcome (``approved``
        or ``denied``; with ``approved_by`` shown on the record) — all or nothing, and only if the
        step is still waiting on the same task token and nobody voted in between."""
        assert state.execution is not None
        guid = state.execution.guid
        vote_condition = "attribute_not_exists(decided) AND " + (
            "size(approvals) = :seen" if state.approvals else "attribute_not_exists(approvals)"
        )
        values: dict[str, Any] = {":voter": {"SS": [vote.identity]}}
        if state.approvals:
            values[":seen"] = {"N": str(len(state.approvals))}
        if vote.decision == "approve":
            update = "ADD approvals :voter, approval_names :name"
            values[":name"] = {"SS": [vote.name]}
            if vote.email:
                update += ", approval_emails :email"
                values[":email"] = {"SS": [vote.email.casefold()]}
        else:
            update = "ADD denials :voter"
        if outcome:
            update += " SET decided = :outcome"
            values[":outcome"] = {"S": outcome}
        record_check = waiting_check(self.table_name, guid, state.wait_token or "", step)
        if approved_by:
            record_check["UpdateExpression"] = "SET approved_by = :approved_by"
            record_check["ExpressionAttributeValues"][":approved_by"] = {"L": [{"S": name} for name in approved_by]}
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
                    {"Put": {"TableName": self.table_name, "Item": _vote_item(guid, step, vote)}},
                    {"Update" if approved_by else "ConditionCheck": record_check},
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

    def undo_vote(self, guid: str, step: str, nonce: str, vote: Vote) -> None:
        """Reverts ``record_vote`` when the workflow could not be resumed, so the link works again."""
        values: dict[str, Any] = {":voter": {"SS": [vote.identity]}, ":name": {"SS": [vote.name]}}
        update = "DELETE approvals :voter, denials :voter, approval_names :name"
        if vote.email:
            update += ", approval_emails :email"
            values[":email"] = {"SS": [vote.email.casefold()]}
        self._client.transact_write_items(
            TransactItems=[
                {"Delete": {"TableName": self.table_name, "Key": keys.nonce_key(nonce)}},
                {"Delete": {"TableName": self.table_name, "Key": keys.vote_key(guid, step, vote.identity)}},
                {
                    "Update": {
                        "TableName": self.table_name,
                        "Key": keys.decision_key(guid, step),
                        "UpdateExpression": update + " REMOVE decided",
                        "ExpressionAttributeValues": values,
                    }
                },
                {
                    "Update": {
                        "TableName": self.table_name,
                        "Key": keys.record_key(guid),
                        "UpdateExpression": "REMOVE approved_by",
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )


def _vote_item(guid: str, step: str, vote: Vote) -> dict[str, Any]:
    item: dict[str, Any] = {
        **keys.vote_key(guid, step, vote.identity),
        "voter": {"S": vote.identity},
        "voter_name": {"S": vote.name},
        "decision": {"S": vote.decision},
        "at": {"S": iso_millis(utc_now())},
    }
    if vote.comment:
        item["comment"] = {"S": vote.comment}
    return item


def _pending(item: dict[str, Any]) -> PendingDecision:
    return PendingDecision(
        guid=item["guid"]["S"],
        step=item["step"]["S"],
        recipient=item["recipient"]["S"],
        expires_at=int(item["expires_at"]["N"]),
        start_key=item["start_key"]["S"],
        notified="notified_at" in item,
    )


def _decision_state(record: dict[str, Any] | None, decision: dict[str, Any] | None) -> DecisionState:
    decision = decision or {}
    return DecisionState(
        execution=from_item(record) if record else None,
        wait_step=(record or {}).get(WAIT_STEP_ATTRIBUTE, {}).get("S"),
        wait_token=(record or {}).get(WAIT_TOKEN_ATTRIBUTE, {}).get("S"),
        approvals=frozenset(decision.get("approvals", {}).get("SS", [])),
        decided=decision.get("decided", {}).get("S"),
        approval_emails=frozenset(decision.get("approval_emails", {}).get("SS", [])),
        approval_names=frozenset(decision.get("approval_names", {}).get("SS", [])),
    )
