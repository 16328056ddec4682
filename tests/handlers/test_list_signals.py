"""``GET /signals`` over many waiting decisions: a page reads its records and decisions in
BatchGetItem requests of at most 100 keys, whatever the page size."""

from __future__ import annotations

import copy
import json

from tests.events import http_event, load_event
from tests.records import BOB
from toolkit.functions import function_module

APPROVERS = ["security-approvers"]
WAITING = 60  # 60 records and 60 decisions: 120 keys, more than one BatchGetItem takes


def waiting_elevation(number: int) -> dict:
    """The stream event of ``events/notify_decision.json`` for an elevation of its own."""
    stream = load_event("notify_decision")
    guid = f"00000000-0000-4000-8000-{number:012d}"
    text = json.dumps(stream).replace("00000000-0000-4000-8000-000000000001", guid)
    return json.loads(text)


def test_a_page_of_more_decisions_than_one_batch_read_takes_is_served(aws, invoke, settings_env, lambda_context):
    settings_env(PUBLIC_URL="https://exec.example.com")
    dynamodb = aws.own_client("dynamodb")
    for number in range(1, WAITING + 1):
        stream = waiting_elevation(number)
        dynamodb.put_item(TableName=aws.table_name, Item=copy.deepcopy(stream["Records"][0]["dynamodb"]["NewImage"]))
        assert function_module("notify_decision").lambda_handler(stream, lambda_context) == {"announced": 1}
    event = http_event("list_signals", user=BOB, groups=APPROVERS, query={"limit": "100"})

    reply = invoke("list_signals", event)

    assert reply.status == 200, reply
    assert len(reply.body["signals"]) == WAITING
    assert reply.body["next_token"] is None
