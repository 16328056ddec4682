"""What each elevation has granted, and who holds each membership: the ledger every end of an
elevation revokes from, and the sweep checks against.

- ``GRANT#<guid>``: one elevation's grant (what, to whom, until when, its state). While it is not
  revoked it carries ``live_grant`` (sparse ``ByLiveGrant`` index): the sweep reads those, not the
  table. Kept when the execution record is deleted.
- ``HOLDERS#<provider>#<target>#<principal>``: the guids whose grant of that membership is not yet
  revoked. Overlapping grants of one role to one person are counted here: a revoke removes the
  membership only when no other grant holds it.
- On that same item, for a provider whose targets are shared with access made outside this API
  (Identity Center permission sets): ``live_grant = OWNED#<provider>`` while the access exists
  because this API created it, written before it is created and removed once it is gone
  (``ByLiveGrant``: the sweep reads those). Access without the mark is not this API's to remove.
  While the request creating it has not been seen to succeed, the mark names it
  (``creation_request``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from botocore.exceptions import ClientError

from execution_api.dal import keys
from execution_api.dal.audit import audit_item, log_audit_event
from execution_api.dal.executions import waiting_check
from execution_api.infra.aws_errors import failed_conditions, is_conditional_failure
from execution_api.infra.clients import dynamodb_client
from execution_api.infra.timefmt import iso_millis
from execution_api.models.audit import AuditEvent
from execution_api.models.domain import ElevationGrant

GrantState = Literal["granted", "revoked", "revoke_failed"]


@dataclass(frozen=True, kw_only=True)
class GrantRecord:
    guid: str
    grant: ElevationGrant
    state: GrantState
    granted_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    cause: str | None = None
    revoke_error: str | None = None


@dataclass(frozen=True)
class AccessMark:
    """The ledger's mark on access this API created: ``creation_request`` is the request creating
    it, while that request has not been seen to succeed."""

    creation_request: str | None = None


class GrantLedger:
    def __init__(self, table_name: str, audit_retention_days: int = 400) -> None:
        self.table_name = table_name
        self.audit_retention_days = audit_retention_days

    @property
    def _client(self) -> Any:
        return dynamodb_client()

    def record_grant(
        self, guid: str, grant: ElevationGrant, granted_at: datetime, expires_at: datetime, wait_token: str
    ) -> GrantRecord | None:
        """Records ``guid``'s grant and counts it among the membership's holders, in one
        transaction, only while its execution still runs and waits on ``wait_token``: an end that
        came first found nothing to revoke, so nothing may be granted after it.

        Returns the grant as recorded: this one, or an earlier attempt's (a retried grant);
        ``None`` when the execution no longer waits on the token."""
        item = {
            **keys.grant_key(guid),
            "guid": {"S": guid},
            "role": {"S": grant.role},
            "provider": {"S": grant.provider},
            "principal": {"S": grant.principal},
            "target": {"S": grant.target},
            "duration_seconds": {"N": str(grant.duration_seconds)},
            **{name: {"S": value} for name, value in _labels(grant).items()},
            "state": {"S": "granted"},
            "granted_at": {"S": iso_millis(granted_at)},
            "expires_at_time": {"S": iso_millis(expires_at)},
            "live_grant": {"S": keys.LIVE_GRANT},
            "expires_key": {"S": f"{iso_millis(expires_at)}#{guid}"},
        }
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table_name,
                            "Item": item,
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.table_name,
                            "Key": keys.holders_key(grant.provider, grant.target, grant.principal),
                            "UpdateExpression": "ADD holders :guid",
                            "ExpressionAttributeValues": {":guid": {"SS": [guid]}},
                        }
                    },
                    {"ConditionCheck": waiting_check(self.table_name, guid, wait_token)},
                ]
            )
        except ClientError as error:
            failed = failed_conditions(error)
            if failed is None:
                raise
            if failed[2]:
                return None
            return self.get(guid)
        return GrantRecord(guid=guid, grant=grant, state="granted", granted_at=granted_at, expires_at=expires_at)

    def get(self, guid: str) -> GrantRecord | None:
        response = self._client.get_item(TableName=self.table_name, Key=keys.grant_key(guid), ConsistentRead=True)
        return _record(response["Item"]) if "Item" in response else None

    def release(self, guid: str, grant: ElevationGrant) -> frozenset[str]:
        """Stops counting ``guid`` among the membership's holders; returns those left."""
        response = self._client.update_item(
            TableName=self.table_name,
            Key=keys.holders_key(grant.provider, grant.target, grant.principal),
            UpdateExpression="DELETE holders :guid",
            ExpressionAttributeValues={":guid": {"SS": [guid]}},
            ReturnValues="ALL_NEW",
        )
        return frozenset(response.get("Attributes", {}).get("holders", {}).get("SS", []))

    def holders(self, provider: str, target: str, principal: str) -> frozenset[str]:
        response = self._client.get_item(
            TableName=self.table_name, Key=keys.holders_key(provider, target, principal), ConsistentRead=True
        )
        return frozenset(response.get("Item", {}).get("holders", {}).get("SS", []))

    def mark(self, provider: str, target: str, principal: str) -> AccessMark | None:
        """This API's mark on the access, if it created it (and has not removed it since)."""
        response = self._client.get_item(
            TableName=self.table_name,
            Key=keys.holders_key(provider, target, principal),
            ConsistentRead=True,
            ProjectionExpression="live_grant, creation_request",
        )
        item = response.get("Item", {})
        if "live_grant" not in item:
            return None
        return AccessMark(creation_request=item.get("creation_request", {}).get("S"))

    def note_creation(self, provider: str, target: str, principal: str, request_id: str | None) -> None:
        """Notes on the mark the request creating the access until it is seen to succeed
        (``None``): a removal must wait for a creation that has not ended."""
        key = keys.holders_key(provider, target, principal)
        if request_id is None:
            self._client.update_item(TableName=self.table_name, Key=key, UpdateExpression="REMOVE creation_request")
            return
        self._client.update_item(
            TableName=self.table_name,
            Key=key,
            UpdateExpression="SET creation_request = :request",
            ExpressionAttributeValues={":request": {"S": request_id}},
        )

    def own(self, provider: str, target: str, principal: str) -> None:
        """Marks the access as this API's, before it is created (so that no crash leaves access
        this API created unmarked)."""
        self._client.update_item(
            TableName=self.table_name,
            Key=keys.holders_key(provider, target, principal),
            UpdateExpression="SET live_grant = :owned, expires_key = :key, provider = :provider, "
            "#target = :target, principal = :principal",
            ExpressionAttributeNames={"#target": "target"},
            ExpressionAttributeValues={
                ":owned": {"S": keys.owned_access(provider)},
                ":key": {"S": f"{target}#{principal}"},
                ":provider": {"S": provider},
                ":target": {"S": target},
                ":principal": {"S": principal},
            },
        )

    def disown(self, provider: str, target: str, principal: str) -> bool:
        """Unmarks access that is gone, unless a grant holds it again meanwhile (then its grant
        creates it again); ``False`` then."""
        try:
            self._client.update_item(
                TableName=self.table_name,
                Key=keys.holders_key(provider, target, principal),
                UpdateExpression="REMOVE live_grant, expires_key, creation_request",
                ConditionExpression="attribute_not_exists(holders)",
            )
        except ClientError as error:
            if is_conditional_failure(error):
                return False
            raise
        return True

    def owned(self, provider: str) -> list[tuple[str, str]]:
        """``(target, principal)`` of every access this API created through ``provider`` and has not
        removed (``ByLiveGrant``)."""
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": "ByLiveGrant",
            "KeyConditionExpression": "live_grant = :owned",
            "ExpressionAttributeValues": {":owned": {"S": keys.owned_access(provider)}},
            "ProjectionExpression": "#target, principal",
            "ExpressionAttributeNames": {"#target": "target"},
        }
        found: list[tuple[str, str]] = []
        while True:
            response = self._client.query(**request)
            found.extend((item["target"]["S"], item["principal"]["S"]) for item in response["Items"])
            if "LastEvaluatedKey" not in response:
                return found
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def mark_revoked(self, guid: str, cause: str, event: AuditEvent) -> bool:
        """Ends the grant and appends ``event`` (its ``revoked``) to the audit, all or nothing: a
        revoke is never done without its audit, nor audited twice; ``False`` if another revoke
        ended it first."""
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self.table_name,
                            "Key": keys.grant_key(guid),
                            "UpdateExpression": "SET #state = :revoked, revoked_at = :at, cause = :cause "
                            "REMOVE live_grant, revoke_error",
                            "ConditionExpression": "attribute_exists(pk) AND #state <> :revoked",
                            "ExpressionAttributeNames": {"#state": "state"},
                            "ExpressionAttributeValues": {
                                ":revoked": {"S": "revoked"},
                                ":at": {"S": iso_millis(event.at)},
                                ":cause": {"S": cause},
                            },
                        }
                    },
                    {"Put": {"TableName": self.table_name, "Item": audit_item(event, self.audit_retention_days)}},
                ]
            )
        except ClientError as error:
            if failed_conditions(error):
                return False
            raise
        log_audit_event(event)
        return True

    def mark_revoke_failed(self, guid: str, cause: str, error: str) -> None:
        """Keeps the grant live (the sweep tries again) and says why the revoke failed, unless
        another revoke ended it meanwhile."""
        try:
            self._client.update_item(
                TableName=self.table_name,
                Key=keys.grant_key(guid),
                UpdateExpression="SET #state = :failed, revoke_error = :error, cause = :cause",
                ConditionExpression="attribute_exists(pk) AND #state <> :revoked",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":failed": {"S": "revoke_failed"},
                    ":revoked": {"S": "revoked"},
                    ":error": {"S": error},
                    ":cause": {"S": cause},
                },
            )
        except ClientError as failure:
            if not is_conditional_failure(failure):
                raise

    def live(self) -> list[GrantRecord]:
        """Every grant not yet revoked (``ByLiveGrant``), the soonest to expire first."""
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": "ByLiveGrant",
            "KeyConditionExpression": "live_grant = :live",
            "ExpressionAttributeValues": {":live": {"S": keys.LIVE_GRANT}},
        }
        found: list[GrantRecord] = []
        while True:
            response = self._client.query(**request)
            found.extend(_record(item) for item in response["Items"])
            if "LastEvaluatedKey" not in response:
                return found
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _record(item: dict[str, Any]) -> GrantRecord:
    def text(name: str) -> str | None:
        return item[name]["S"] if name in item else None

    revoked_at = text("revoked_at")
    return GrantRecord(
        guid=item["guid"]["S"],
        grant=ElevationGrant(
            role=item["role"]["S"],
            provider=item["provider"]["S"],
            principal=item["principal"]["S"],
            target=item["target"]["S"],
            duration_seconds=int(item["duration_seconds"]["N"]),
            account=text("account"),
            permission_set=text("permission_set"),
        ),
        state=item["state"]["S"],  # type: ignore[arg-type]
        granted_at=datetime.fromisoformat(item["granted_at"]["S"]),
        expires_at=datetime.fromisoformat(item["expires_at_time"]["S"]),
        revoked_at=datetime.fromisoformat(revoked_at) if revoked_at else None,
        cause=text("cause"),
        revoke_error=text("revoke_error"),
    )


def _labels(grant: ElevationGrant) -> dict[str, str]:
    labels = {"account": grant.account, "permission_set": grant.permission_set}
    return {name: value for name, value in labels.items() if value is not None}
