"""The issue's acceptance test: the page query of GET /executions with any single filter (plus
an optional date range) reads from DynamoDB no more items than it returns plus one.

``total`` is a separate ``Select=COUNT`` Query over the same partition (documented beside the
table in template.yaml) and is not the page query, so it is counted apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from execution_api.dal.executions import ExecutionRepository
from execution_api.models.domain import Execution, ExecutionState
from tests.events import http_event
from tests.records import ALICE, BOB, new_record
from tests.stack import use_stack_environment

STATES = list(ExecutionState)
DAY = datetime(2024, 5, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def catalog(_module_stack) -> list[Execution]:
    """Many records of three owners, spread over states, workflows, sessions and five days."""
    repository = ExecutionRepository(_module_stack.table_name)
    records = []
    for owner, count in ((ALICE, 24), (BOB, 14), ("carol@example.com", 8)):
        for n in range(count):
            records.append(
                new_record(
                    repository,
                    _module_stack.workflow_arns,
                    owner=owner,
                    state=STATES[n % 4],
                    workflow=("batch", "default")[(n // 4) % 2],
                    session_id=("s-1", "s-2", "s-3", None)[(n // 2) % 4],
                    start_time=DAY + timedelta(hours=5 * n, minutes=n),
                )
            )
    return records


@pytest.fixture
def aws(_module_stack, catalog, monkeypatch):
    """This module's tests only read the catalog, so the tables are not emptied between them."""
    return use_stack_environment(_module_stack, monkeypatch)


@dataclass
class Reads:
    """DynamoDB reads of one request, as the client saw them."""

    page_queries: list[int] = field(default_factory=list)
    count_queries: int = 0
    scans: int = 0


@pytest.fixture
def reads(aws):
    """Counts the ``ScannedCount`` of every Query the code under test sends, through hooks on
    the very client it uses."""
    client = aws.client("dynamodb")
    observed = Reads()

    def remember_select(params, context, **_):
        context["test_select"] = params.get("Select")

    def record(parsed, context, **_):
        if context.get("test_select") == "COUNT":
            observed.count_queries += 1
        else:
            observed.page_queries.append(parsed["ScannedCount"])

    def record_scan(**_):
        observed.scans += 1

    client.meta.events.register("before-parameter-build.dynamodb.Query", remember_select)
    client.meta.events.register("after-call.dynamodb.Query", record)
    client.meta.events.register("before-call.dynamodb.Scan", record_scan)
    yield observed
    client.meta.events.unregister("before-parameter-build.dynamodb.Query", remember_select)
    client.meta.events.unregister("after-call.dynamodb.Query", record)
    client.meta.events.unregister("before-call.dynamodb.Scan", record_scan)


SINGLE_FILTERS = {
    "none": {},
    "state": {"state": "ERROR"},
    "status": {"status": "completed"},
    "workflow": {"workflow": "batch"},
    "agentflowId": {"agentflowId": "wf-elevate"},
    "agentflowName": {"agentflowName": "default"},
    "sessionId": {"sessionId": "s-2"},
    "startDate": {"startDate": "2024-05-03T00:00:00Z"},
    "endDate": {"endDate": "2024-05-02"},
}
DATE_RANGES = {
    "no dates": {},
    "date range": {"startDate": "2024-05-02", "endDate": "2024-05-04T12:00:00Z"},
}


@pytest.mark.parametrize("dates", DATE_RANGES.values(), ids=DATE_RANGES.keys())
@pytest.mark.parametrize("single_filter", SINGLE_FILTERS.values(), ids=SINGLE_FILTERS.keys())
def test_every_page_reads_at_most_one_item_more_than_it_returns(invoke, reads, single_filter, dates):
    query = {**single_filter, **dates, "limit": "4"}
    returned_in_total, pages = 0, 0
    token = None
    while True:
        reads.page_queries.clear()
        reply = invoke(
            "list_executions",
            http_event("list_executions", query={**query, **({"next_token": token} if token else {})}),
        )
        assert reply.status == 200, reply
        returned = len(reply.body["executions"])
        assert reads.page_queries, "the page was not read with a Query"
        assert sum(reads.page_queries) <= returned + 1
        returned_in_total += returned
        pages += 1
        token = reply.body["next_token"]
        if token is None:
            break

    assert returned_in_total == reply.body["total"]
    assert returned_in_total > 0, "the filter selected nothing: the bound would hold trivially"
    assert reads.scans == 0


def test_a_guid_filter_reads_no_index_at_all(invoke, reads, catalog):
    target = catalog[3]

    reply = invoke("list_executions", http_event("list_executions", query={"guid": target.guid}))

    assert [execution["guid"] for execution in reply.body["executions"]] == [target.guid]
    assert reads.page_queries == []
    assert reads.count_queries == 0
    assert reads.scans == 0


def test_the_total_is_counted_by_one_count_query_not_by_reading_items(invoke, reads):
    reply = invoke("list_executions", http_event("list_executions", query={"state": "FINISHED", "limit": "2"}))

    assert reply.body["total"] == 6
    assert reads.count_queries == 1
    assert sum(reads.page_queries) == 3
