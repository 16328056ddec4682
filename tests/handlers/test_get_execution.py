"""GET /executions/{id}: the one resource, by guid or execution ARN, to its owner (or an admin)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.events import http_event
from tests.http_assertions import assert_bad_request, assert_error
from tests.records import ADMIN, ADMIN_GROUP, ALICE, BOB, PLACEHOLDER_GUID


@pytest.fixture
def get_as(invoke):
    def call(execution_id: str, user: str = ALICE, groups: list[str] | None = None):
        event = http_event("get_execution", path_parameters={"id": execution_id}, user=user, groups=groups)
        return invoke("get_execution", event)

    return call


def test_the_owner_gets_the_resource_by_guid(get_as, make_record):
    record = make_record(session_id="s-1")

    reply = get_as(record.guid)

    assert reply.status == 200
    assert reply.body["guid"] == reply.body["run_id"] == record.guid
    assert reply.body["workflow_id"] == record.workflow_id
    assert reply.body["user"] == ALICE
    assert reply.body["sessionId"] == "s-1"
    assert (reply.body["state"], reply.body["status"]) == ("FINISHED", "completed")


def test_the_execution_arn_names_it_too(get_as, make_record):
    record = make_record()

    assert get_as(record.workflow_id).body["guid"] == record.guid


def test_the_url_encoded_execution_arn_names_it_too(invoke, make_record):
    record = make_record()
    event = http_event("get_execution", path_parameters={"id": record.workflow_id})
    assert quote(record.workflow_id, safe="") in event["rawPath"]

    reply = invoke("get_execution", event)

    assert reply.status == 200
    assert reply.body["guid"] == record.guid


def test_another_users_execution_is_not_found(get_as, make_record):
    record = make_record(owner=BOB)

    reply = get_as(record.guid)

    body = assert_error(reply, 404)
    assert BOB not in body["message"]


def test_a_missing_execution_is_not_found(get_as):
    assert_error(get_as("0b7a8c1e-9d4a-4e6f-8b7c-1a2b3c4d5e6f"), 404)


def test_an_admin_gets_anyones_execution(get_as, make_record):
    record = make_record(owner=BOB)

    reply = get_as(record.guid, user=ADMIN, groups=["developers", ADMIN_GROUP])

    assert reply.status == 200
    assert reply.body["user"] == BOB


def test_a_group_named_like_the_admin_group_is_not_it(get_as, make_record):
    record = make_record(owner=BOB)

    assert_error(get_as(record.guid, user=ADMIN, groups=[f"{ADMIN_GROUP}-readonly"]), 404)


@pytest.mark.parametrize(
    "bad_id",
    ["not-a-guid", "12345", "0b7a8c1e9d4a4e6f8b7c1a2b3c4d5e6f", "arn:aws:states:us-east-1:123456789012:execution:x:y"],
)
def test_an_id_that_is_neither_guid_nor_arn_is_a_400_naming_it(get_as, written, bad_id):
    before = written()

    assert_bad_request(get_as(bad_id), "id")
    assert written() == before


def test_without_an_identity_the_caller_is_unauthorized(invoke, make_record):
    record = make_record()
    event = http_event("get_execution", path_parameters={"id": record.guid}, claims={"email": None, "sub": None})

    assert_error(invoke("get_execution", event), 401)


def test_the_sample_event_reads_the_execution_it_names(invoke, make_record):
    make_record(guid=PLACEHOLDER_GUID)

    reply = invoke("get_execution", http_event("get_execution"))

    assert reply.status == 200
    assert reply.body["guid"] == PLACEHOLDER_GUID
