"""GET /executions over records each test writes: exact bounds, admins, page edges."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.events import http_event
from tests.http_assertions import assert_bad_request
from tests.records import ADMIN, ADMIN_GROUP, ALICE, BOB


def guids(reply) -> list[str]:
    return [execution["guid"] for execution in reply.body["executions"]]


def newest_first(records) -> list[str]:
    return [record.guid for record in sorted(records, key=lambda record: record.start_time, reverse=True)]


@pytest.fixture
def list_as(invoke):
    def call(query: dict[str, str] | None = None, user: str = ALICE, groups: list[str] | None = None):
        return invoke("list_executions", http_event("list_executions", query=query, user=user, groups=groups))

    return call


def test_the_list_is_the_callers_own_even_for_an_admin(list_as, make_record):
    own = make_record(owner=ADMIN)
    make_record(owner=ALICE)
    make_record(owner=BOB)

    reply = list_as({"limit": "100"}, user=ADMIN, groups=[ADMIN_GROUP])

    assert guids(reply) == [own.guid]
    assert reply.body["total"] == 1


def test_date_bounds_are_inclusive_to_the_millisecond(list_as, make_record):
    first = make_record(start_time=datetime(2024, 3, 10, 9, 0, 0, 1000, tzinfo=UTC))
    middle = make_record(start_time=datetime(2024, 3, 10, 9, 30, tzinfo=UTC))
    last = make_record(start_time=datetime(2024, 3, 10, 10, 0, 0, 999000, tzinfo=UTC))
    make_record(start_time=datetime(2024, 3, 10, 9, 0, 0, tzinfo=UTC))
    make_record(start_time=datetime(2024, 3, 10, 10, 0, 1, tzinfo=UTC))

    reply = list_as({"startDate": "2024-03-10T09:00:00.001Z", "endDate": "2024-03-10T10:00:00.999Z"})

    assert guids(reply) == [last.guid, middle.guid, first.guid]
    assert reply.body["total"] == 3


def test_a_single_day_covers_the_whole_day(list_as, make_record):
    inside = [
        make_record(start_time=datetime(2024, 3, 10, 0, 0, tzinfo=UTC)),
        make_record(start_time=datetime(2024, 3, 10, 23, 59, 59, 999000, tzinfo=UTC)),
    ]
    make_record(start_time=datetime(2024, 3, 9, 23, 59, 59, 999000, tzinfo=UTC))
    make_record(start_time=datetime(2024, 3, 11, tzinfo=UTC))

    reply = list_as({"startDate": "2024-03-10", "endDate": "2024-03-10"})

    assert guids(reply) == newest_first(inside)


def test_a_full_last_page_has_no_next_token(list_as, make_record):
    for _ in range(4):
        make_record()

    reply = list_as({"limit": "4"})

    assert len(reply.body["executions"]) == 4
    assert reply.body["next_token"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "abc"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "-5"}, "limit"),
        ({"page": "0"}, "page"),
        ({"page": "two"}, "page"),
        ({"state": "RUNNING"}, "state"),
        ({"state": "finished"}, "state"),
        ({"status": "done"}, "status"),
        ({"status": "completed", "state": "ERROR"}, "status"),
        ({"startDate": "yesterday-ish"}, "startDate"),
        ({"startDate": "2024-13-45"}, "startDate"),
        ({"endDate": "2024-02-30T10:00:00Z"}, "endDate"),
        ({"startDate": "2024-03-12", "endDate": "2024-03-11"}, "startDate"),
        ({"startDate": "2024-03-11T10:00:00.001Z", "endDate": "2024-03-11T10:00:00Z"}, "startDate"),
        ({"sessionId": "has spaces"}, "sessionId"),
        ({"guid": "not-a-guid"}, "guid"),
        ({"next_token": "forged"}, "next_token"),
        ({"next_token": "eyJwayI6eyJTIjoiRVhFQyJ9fQ.c2lnbmF0dXJl"}, "next_token"),
    ],
)
def test_an_invalid_query_is_a_400_naming_the_field(list_as, make_record, written, query, field):
    make_record()
    before = written()

    reply = list_as(query)

    assert_bad_request(reply, field)
    assert written() == before
