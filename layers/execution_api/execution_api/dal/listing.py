"""``GET /executions`` reads: one owner-scoped Query per page, newest first.

Every filter is one Query on one owner-scoped index partition (``dal.keys``), newest first, and a
date range is a ``BETWEEN`` on ``start_key``. With several filters, the most selective index is
queried and the others become a FilterExpression; a guid filter reads the record by key and the
same filter is applied to it in Python: both come from ``ExecutionFilter.equalities``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from execution_api.dal import keys
from execution_api.dal.codec import from_item
from execution_api.infra.clients import dynamodb_client
from execution_api.infra.timefmt import iso_millis
from execution_api.models.domain import Execution, ExecutionState

_FILTERED_PAGE_ITEMS = 500


@dataclass(frozen=True)
class Equality:
    """``attribute = value``, and the index whose partition key is ``owner#value``."""

    attribute: str
    value: str
    index: keys.Index
    partition: str


@dataclass(frozen=True)
class ExecutionFilter:
    """What a list request selects; ``owner`` is always set: lists are owner-scoped."""

    owner: str
    state: ExecutionState | None = None
    workflow: str | None = None
    session_id: str | None = None
    start_from: datetime | None = None
    start_to: datetime | None = None

    def equalities(self) -> list[Equality]:
        """The equality filters, most selective first (sessions are small, workflows fewer
        than states)."""
        found = []
        if self.session_id:
            partition = keys.owner_session(self.owner, self.session_id)
            found.append(Equality("session_id", self.session_id, keys.BY_OWNER_SESSION, partition))
        if self.workflow:
            partition = keys.owner_workflow(self.owner, self.workflow)
            found.append(Equality("workflow", self.workflow, keys.BY_OWNER_WORKFLOW, partition))
        if self.state:
            partition = keys.owner_state(self.owner, self.state.value)
            found.append(Equality("state", self.state.value, keys.BY_OWNER_STATE, partition))
        return found

    def matches(self, execution: Execution) -> bool:
        """The filter applied to one record (what the Query and its FilterExpression select)."""
        values = {"session_id": execution.session_id, "workflow": execution.workflow, "state": execution.state.value}
        return (
            execution.owner == self.owner
            and all(values[equality.attribute] == equality.value for equality in self.equalities())
            and (self.start_from is None or execution.start_time >= self.start_from)
            and (self.start_to is None or execution.start_time <= self.start_to)
        )


class ExecutionListing:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    @property
    def _client(self) -> Any:
        return dynamodb_client()

    def query_page(
        self, selection: ExecutionFilter, limit: int, start_key: dict[str, Any] | None
    ) -> tuple[list[Execution], dict[str, Any] | None, int]:
        """Newest-first page of ``limit`` records; returns them, the key to go on from, and
        the items DynamoDB read (the sum of ``ScannedCount``).

        Reads ``limit + 1`` items so that the cursor is only given when more exist.
        """
        request, index = self._query_request(selection)
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
        next_key = keys.resume_key(page[-1], index) if more and page else None
        return [from_item(item) for item in page], next_key, scanned

    def skip(self, selection: ExecutionFilter, count: int) -> tuple[dict[str, Any] | None, bool]:
        """The key after the first ``count`` matches (for ``page`` > 1 without a cursor)."""
        request, index = self._query_request(selection)
        request["ProjectionExpression"] = "pk, sk, start_key, #k"
        request["ExpressionAttributeNames"]["#k"] = index.key_attribute
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
        return keys.resume_key(last, index), True

    def count(self, selection: ExecutionFilter) -> int:
        """How many records match (a ``Select=COUNT`` Query over the same partition)."""
        request, _ = self._query_request(selection)
        request["Select"] = "COUNT"
        total = 0
        while True:
            response = self._client.query(**request)
            total += response["Count"]
            if "LastEvaluatedKey" not in response:
                return total
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _query_request(self, selection: ExecutionFilter) -> tuple[dict[str, Any], keys.Index]:
        equalities = selection.equalities()
        index, partition = keys.BY_OWNER, selection.owner
        if equalities:
            index, partition = equalities[0].index, equalities[0].partition
        names = {"#pk": index.key_attribute}
        values: dict[str, Any] = {":pk": {"S": partition}}
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
        for number, equality in enumerate(equalities[1:]):
            names[f"#f{number}"] = equality.attribute
            values[f":f{number}"] = {"S": equality.value}
            filters.append(f"#f{number} = :f{number}")
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
        return request, index
