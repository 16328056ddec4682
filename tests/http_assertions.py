"""The contract's error body, asserted in one place."""

from __future__ import annotations

from tests.functions import HttpReply


def assert_error(reply: HttpReply, status: int) -> dict:
    assert reply.status == status, reply
    assert reply.body["statusCode"] == status
    assert isinstance(reply.body["message"], str)
    assert reply.body["message"]
    assert set(reply.body) <= {"statusCode", "message", "details"}
    assert "Traceback" not in reply.body["message"]
    return reply.body


def assert_bad_request(reply: HttpReply, field: str) -> dict:
    """A 400 whose message names ``field`` (and whose details, if any, point at it)."""
    body = assert_error(reply, 400)
    assert field in body["message"], body
    if "details" in body:
        assert field in [detail["field"] for detail in body["details"]], body
    return body
