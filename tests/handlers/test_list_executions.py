"""GET /executions: filters, order, paging and cursors, over one catalog of records written directly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from execution_api.dal.executions import ExecutionRepository
from execution_api.models.domain import Execution, ExecutionState
from tests.events import http_event
from tests.http_assertions import assert_bad_request
from tests.records import ALICE, BOB, new_record
from tests.stack import use_stack_environment

CAROL = "carol@example.com"
DAY = datetime(2024, 3, 10, tzinfo=UTC)
STATES = list(ExecutionState)


def newest_first(records: list[Execution]) -> list[str]:
    return [record.guid for record in sorted(records, key=lambda record: record.start_time, reverse=True)]


def guids(reply) -> list[str]:
    return [execution["guid"] for execution in reply.body["executions"]]


@pytest.fixture
def list_as(invoke):
    def call(query: dict[str, str] | None = None, user: str = ALICE, groups: list[str] | None = None):
        return invoke("list_executions", http_event("list_executions", query=query, user=user, groups=groups))

    return call


@pytest.fixture(scope="module")
def catalog(_module_stack) -> list[Execution]:
    """18 records of Alice's over three days (every state with both workflows and with two
    sessions and none), and records of Bob's and Carol's that share all those values. Written once: every
    test of this module only reads. Kept small: the embedded DynamoDB copies a whole
    partition on every Query."""
    repository = ExecutionRepository(_module_stack.table_name)
    records = []
    for owner, count in ((ALICE, 18), (BOB, 6), (CAROL, 3)):
        for n in range(count):
            records.append(
                new_record(
                    repository,
                    _module_stack.workflow_arns,
                    owner=owner,
                    state=STATES[n % len(STATES)],
                    workflow=("batch", "default")[(n // 6) % 2],
                    session_id=("s-1", "s-2", None)[(n // 3) % 3],
                    start_time=DAY + timedelta(hours=4 * n, minutes=7),
                )
            )
    return records


@pytest.fixture
def aws(_module_stack, catalog, monkeypatch):
    """This module's tests only read the catalog, so the tables are not emptied between them."""
    return use_stack_environment(_module_stack, monkeypatch)


def alice(catalog: list[Execution]) -> list[Execution]:
    return [record for record in catalog if record.owner == ALICE]


def test_lists_only_the_callers_executions_newest_first_with_the_total(list_as, catalog):
    reply = list_as({"limit": "100"})

    assert reply.status == 200
    assert guids(reply) == newest_first(alice(catalog))
    assert {execution["user"] for execution in reply.body["executions"]} == {ALICE}
    assert reply.body["total"] == 18
    assert (reply.body["page"], reply.body["limit"], reply.body["next_token"]) == (1, 100, None)


def test_the_sample_event_lists_twelve_by_default(invoke, catalog):
    reply = invoke("list_executions", http_event("list_executions"))

    assert reply.status == 200
    assert guids(reply) == newest_first(alice(catalog))[:12]
    assert (reply.body["page"], reply.body["limit"], reply.body["total"]) == (1, 12, 18)
    assert reply.body["next_token"]


def test_a_user_without_executions_gets_an_empty_page(list_as, catalog):
    reply = list_as(user="dave@example.com")

    assert reply.body == {"executions": [], "total": 0, "page": 1, "limit": 12, "next_token": None}


def nothing(record: Execution) -> bool:
    return False


FILTERS = {
    "agentflowId": ({"agentflowId": "wf-elevate"}, lambda r: r.workflow == "default"),
    "agentflowName": ({"agentflowName": "batch"}, lambda r: r.workflow == "batch"),
    "workflow": ({"workflow": "default"}, lambda r: r.workflow == "default"),
    "sessionId": ({"sessionId": "s-2"}, lambda r: r.session_id == "s-2"),
    "state": ({"state": "ERROR"}, lambda r: r.state is ExecutionState.ERROR),
    "status": ({"status": "cancelled"}, lambda r: r.state is ExecutionState.STOPPED),
    "state and status agreeing": (
        {"state": "TIMEOUT", "status": "timed_out"},
        lambda r: r.state is ExecutionState.TIMEOUT,
    ),
    "startDate": ({"startDate": "2024-03-12"}, lambda r: r.start_time >= datetime(2024, 3, 12, tzinfo=UTC)),
    "endDate": ({"endDate": "2024-03-10"}, lambda r: r.start_time < datetime(2024, 3, 11, tzinfo=UTC)),
    "state in a date range": (
        {"state": "FINISHED", "startDate": "2024-03-11T00:00:00Z", "endDate": "2024-03-12T12:00:00+00:00"},
        lambda r: (
            r.state is ExecutionState.FINISHED
            and datetime(2024, 3, 11, tzinfo=UTC) <= r.start_time <= datetime(2024, 3, 12, 12, tzinfo=UTC)
        ),
    ),
    "workflow and state": (
        {"workflow": "batch", "state": "INPROGRESS"},
        lambda r: r.workflow == "batch" and r.state is ExecutionState.INPROGRESS,
    ),
    "session and workflow": (
        {"sessionId": "s-1", "agentflowName": "default"},
        lambda r: r.session_id == "s-1" and r.workflow == "default",
    ),
    "agentflowId and agentflowName agreeing": (
        {"agentflowId": "wf-batch-job", "agentflowName": "batch"},
        lambda r: r.workflow == "batch",
    ),
    "agentflowId and workflow contradicting": ({"agentflowId": "wf-batch-job", "workflow": "default"}, nothing),
    "unknown agentflowId": ({"agentflowId": "wf-nope"}, nothing),
    "unknown workflow": ({"workflow": "nope"}, nothing),
    "unknown session": ({"sessionId": "s-9"}, nothing),
}


@pytest.mark.parametrize(("query", "selects"), FILTERS.values(), ids=FILTERS.keys())
def test_each_filter_selects_exactly_the_callers_matching_executions(list_as, catalog, query, selects):
    expected = newest_first([record for record in alice(catalog) if selects(record)])

    assert bool(expected) is (selects is not nothing), "the catalog does not exercise this filter"

    reply = list_as({**query, "limit": "100"})

    assert reply.status == 200, reply
    assert guids(reply) == expected
    assert reply.body["total"] == len(expected)


def test_an_end_date_before_every_execution_selects_none(list_as, catalog):
    reply = list_as({"endDate": "0999-12-31"})

    assert reply.status == 200
    assert reply.body["executions"] == []
    assert reply.body["total"] == 0


class TestGuidFilter:
    def test_selects_that_one_execution(self, list_as, catalog):
        target = alice(catalog)[5]

        reply = list_as({"guid": target.guid})

        assert guids(reply) == [target.guid]
        assert reply.body["total"] == 1

    def test_accepts_the_execution_arn(self, list_as, catalog):
        target = alice(catalog)[5]

        assert guids(list_as({"guid": target.workflow_id})) == [target.guid]

    def test_still_applies_the_other_filters(self, list_as, catalog):
        target = alice(catalog)[5]
        other_state = next(state for state in STATES if state is not target.state)

        assert guids(list_as({"guid": target.guid, "state": target.state.value})) == [target.guid]
        assert guids(list_as({"guid": target.guid, "state": other_state.value})) == []
        assert guids(list_as({"guid": target.guid, "endDate": "2024-03-01"})) == []

    def test_does_not_reveal_another_users_execution(self, list_as, catalog):
        bobs = next(record for record in catalog if record.owner == BOB)

        reply = list_as({"guid": bobs.guid})

        assert reply.status == 200
        assert reply.body["executions"] == []
        assert reply.body["total"] == 0


def test_page_and_limit_select_a_slice(list_as, catalog):
    expected = newest_first(alice(catalog))

    pages = [list_as({"page": str(page), "limit": "5"}) for page in (1, 2, 4)]

    assert [guids(reply) for reply in pages] == [expected[0:5], expected[5:10], expected[15:18]]
    assert [reply.body["page"] for reply in pages] == [1, 2, 4]
    assert {reply.body["total"] for reply in pages} == {18}


def test_a_page_past_the_end_is_empty_but_still_counts(list_as, catalog):
    reply = list_as({"page": "5", "limit": "5"})

    assert reply.status == 200
    assert reply.body["executions"] == []
    assert reply.body["total"] == 18
    assert reply.body["next_token"] is None


def test_page_applies_to_the_filtered_list(list_as, catalog):
    expected = newest_first([record for record in alice(catalog) if record.workflow == "batch"])

    reply = list_as({"workflow": "batch", "page": "2", "limit": "4"})

    assert guids(reply) == expected[4:8]
    assert reply.body["total"] == len(expected) == 12


WALKS = {name: FILTERS[name] for name in ("workflow", "sessionId", "state in a date range")}
WALKS["no filter"] = ({}, lambda r: True)


@pytest.mark.parametrize(("query", "selects"), WALKS.values(), ids=WALKS.keys())
def test_next_token_walks_every_page_once_in_order(list_as, catalog, query, selects):
    expected = newest_first([record for record in alice(catalog) if selects(record)])
    collected, pages = [], 0
    reply = list_as({**query, "limit": "3"})
    while True:
        assert reply.status == 200, reply
        assert reply.body["total"] == len(expected)
        collected += guids(reply)
        pages += 1
        token = reply.body["next_token"]
        if token is None:
            break
        reply = list_as({**query, "limit": "3", "next_token": token})

    assert collected == expected
    assert len(set(collected)) == len(collected)
    assert pages == max(1, -(-len(expected) // 3))


class TestCursorMisuse:
    @pytest.fixture
    def token(self, list_as, catalog) -> str:
        token = list_as({"state": "FINISHED", "limit": "2"}).body["next_token"]
        assert token
        return token

    def test_a_next_token_of_another_user_is_refused(self, list_as, token):
        assert_bad_request(list_as({"state": "FINISHED", "limit": "2", "next_token": token}, user=BOB), "next_token")

    @pytest.mark.parametrize(
        "changed",
        [{"state": "ERROR"}, {"workflow": "batch"}, {"startDate": "2024-03-11"}, {"limit": "3"}, {}],
        ids=["other state", "added workflow", "added date", "other limit", "filter dropped"],
    )
    def test_a_next_token_used_with_different_filters_is_refused(self, list_as, token, changed):
        query = {"state": "FINISHED", "limit": "2", **changed}
        if not changed:
            del query["state"]

        assert_bad_request(list_as({**query, "next_token": token}), "next_token")

    def test_a_next_token_with_one_character_changed_is_refused(self, list_as, token):
        tampered = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]

        assert_bad_request(list_as({"state": "FINISHED", "limit": "2", "next_token": tampered}), "next_token")

    def test_the_same_next_token_with_the_same_filters_works(self, list_as, token):
        assert list_as({"state": "FINISHED", "limit": "2", "next_token": token}).status == 200
