"""Decision links end to end through the local server: quorums, self-approval, and every way a
link can be wrong (mis-addressed, tampered, foreign key, expired, replayed, another execution's,
too late, used twice at once), plus their delivery to the ``SignalWebhookUrl`` webhook, which the
local server plays itself (``POST /_local/outbox`` appends to ``LOCAL_OUTBOX_FILE``).

Links are sealed here with ``execution_api.signal_tokens.seal`` and the session server's own
keyring (``signal_keyring``, given to the server as its ``SignalKeySecret``) or another one.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from execution_api.infra.sealing import DecisionLink, seal
from tests.e2e.conftest import (
    ApiClient,
    Reply,
    a_user,
    elevation,
    follow,
    history,
    link_path,
    pending_signal,
    record_state,
    start,
    token_of,
    wait_for,
    wait_for_signal,
)

pytestmark = pytest.mark.e2e

SOURCE = "urn:execution-api:e2e"


def granted(client: ApiClient, guid: str) -> list[dict]:
    """The history once the grant is held (``addUserToGroup`` succeeded)."""

    def holding() -> list[dict] | None:
        events = history(client, guid)
        return events if any(event.get("state") == "HoldGrant" for event in events) else None

    events = wait_for(holding)
    assert any(
        event["sfn_event_type"] == "TaskSucceeded" and event.get("resource") == "addUserToGroup" for event in events
    ), events
    return events


def a_link(
    guid: str, recipient: str, *, expires_in: timedelta = timedelta(hours=1), decision: str = "approve"
) -> DecisionLink:
    return DecisionLink(str(uuid.uuid4()), guid, "approval", recipient, decision, datetime.now(UTC) + expires_in)


@pytest.fixture
def waiting(api: Callable[..., ApiClient]) -> Callable[..., tuple[ApiClient, str]]:
    """``waiting(approvers, **input)``: a started elevation, announced to its approvers; ended after the test."""
    started: list[tuple[ApiClient, str]] = []

    def make(approvers: list[str], **extra: object) -> tuple[ApiClient, str]:
        requester = api(a_user())
        guid = start(requester, "default", elevation(approvers, **extra))["run_id"]
        started.append((requester, guid))
        return requester, guid

    yield make
    for requester, guid in started:
        if record_state(requester, guid) == "INPROGRESS":
            requester.post(f"/execution/{guid}/terminate")


# -- quorum and self-approval ---------------------------------------------------------------------


def test_two_of_three_approvals_grant_on_the_second(
    api: Callable[..., ApiClient], waiting: Callable[..., tuple[ApiClient, str]]
) -> None:
    names = [a_user(), a_user(), a_user()]
    b, c, d = (api(name) for name in names)
    requester, guid = waiting(names, required_approvals=2)

    status, body, _ = follow(b, wait_for_signal(b, guid)["approve_url"])
    assert status == 200, body
    assert (body["outcome"], body["approvals"], body["required_approvals"]) == ("pending", 1, 2)
    assert pending_signal(b, guid) is None  # b has decided
    assert wait_for_signal(d, guid)["approvals"] == 1
    assert not any(event.get("state") == "Grant" for event in history(requester, guid))

    status, body, _ = follow(c, wait_for_signal(c, guid)["approve_url"])
    assert status == 200, body
    assert (body["outcome"], body["approvals"]) == ("approved", 2)

    granted(requester, guid)
    assert pending_signal(d, guid) is None  # decided: nothing left for the third approver


def test_the_requester_among_the_approvers_gets_no_link(api: Callable[..., ApiClient]) -> None:
    requester_name, approver_name = a_user(), a_user()
    requester = api(requester_name)
    guid = start(requester, "default", elevation([requester_name, approver_name]))["run_id"]
    wait_for_signal(api(approver_name), guid)  # announced: the other approver has their link
    assert pending_signal(requester, guid) is None
    assert requester.post(f"/execution/{guid}/terminate").status == 200


def test_the_requester_as_the_only_approver_is_refused(api: Callable[..., ApiClient]) -> None:
    requester_name = a_user()
    requester = api(requester_name)
    status, body, _ = requester.post("/execution", {"workflow": "default", "input": elevation([requester_name])})
    assert status == 400, body
    assert "input.approvers" in body["message"]
    assert requester.get("/executions").body["total"] == 0


# -- wrong links ------------------------------------------------------------------------------------


def test_a_link_used_by_someone_else_is_forbidden(
    api: Callable[..., ApiClient], waiting: Callable[..., tuple[ApiClient, str]]
) -> None:
    approver_name = a_user()
    _, guid = waiting([approver_name])
    link = wait_for_signal(api(approver_name), guid)["approve_url"]

    status, body, _ = follow(api(a_user()), link)
    assert status == 403, body
    assert body["statusCode"] == 403
    assert wait_for_signal(api(approver_name), guid)["approvals"] == 0


def test_a_tampered_link_is_refused(
    api: Callable[..., ApiClient], waiting: Callable[..., tuple[ApiClient, str]]
) -> None:
    approver_name = a_user()
    approver = api(approver_name)
    _, guid = waiting([approver_name])
    token = token_of(wait_for_signal(approver, guid)["approve_url"])
    middle = len(token) // 2
    tampered = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]

    status, body, _ = approver.get(link_path(guid, tampered))
    assert status == 400, body
    assert "input" in body["message"]
    assert pending_signal(approver, guid)["approvals"] == 0


def test_a_link_sealed_with_another_key_is_refused(
    api: Callable[..., ApiClient], waiting: Callable[..., tuple[ApiClient, str]]
) -> None:
    approver_name = a_user()
    approver = api(approver_name)
    _, guid = waiting([approver_name])
    wait_for_signal(approver, guid)
    foreign = seal(a_link(guid, approver_name), {"current": "k1", "k1": "not-the-servers-key"}, SOURCE)

    status, body, _ = approver.get(link_path(guid, foreign))
    assert status == 400, body
    assert pending_signal(approver, guid)["approvals"] == 0


def test_a_link_sealed_with_the_servers_key_is_accepted(
    api: Callable[..., ApiClient], waiting: Callable[..., tuple[ApiClient, str]], signal_keyring: dict[str, str]
) -> None:
    """The control for the two tests around it: the keyring really is the server's."""
    approver_name = a_user()
    approver = api(approver_name)
    requester, guid = waiting([approver_name])
    wait_for_signal(approver, guid)

    status, body, _ = approver.get(link_path(guid, seal(a_link(guid, approver_name), signal_keyring, SOURCE)))
    assert status == 200, body
    assert body["outcome"] == "approved"
    granted(requester, guid)


def test_an_expired_link_is_gone(
    api: Callable[..., ApiClient], waiting: Callable[..., tuple[ApiClient, str]], signal_keyring: dict[str, str]
) -> None:
    approver_name = a_user()
    approver = api(approver_name)
    _, guid = waiting([approver_name])
    wait_for_signal(approver, guid)
    expired = seal(a_link(guid, approver_name, expires_in=timedelta(minutes=-1)), signal_keyring, SOURCE)

    status, body, _ = approver.get(link_path(guid, expired))
    assert status == 410, body
    assert body["statusCode"] == 410
    assert pending_signal(approver, guid)["approvals"] == 0


def test_a_used_link_cannot_be_replayed(
    api: Callable[..., ApiClient], waiting: Callable[..., tuple[ApiClient, str]]
) -> None:
    b_name, c_name = a_user(), a_user()
    b = api(b_name)
    _, guid = waiting([b_name, c_name], required_approvals=2)  # still waiting after b's approval
    link = wait_for_signal(b, guid)["approve_url"]
    assert follow(b, link).status == 200

    status, body, _ = follow(b, link)
    assert status == 409, body
    assert body["statusCode"] == 409
    assert wait_for_signal(api(c_name), guid)["approvals"] == 1


def test_another_executions_link_on_this_executions_path_is_refused(
    api: Callable[..., ApiClient], waiting: Callable[..., tuple[ApiClient, str]]
) -> None:
    approver_name = a_user()
    approver = api(approver_name)
    _, this = waiting([approver_name])
    _, other = waiting([approver_name])
    wait_for_signal(approver, this)
    others_token = token_of(wait_for_signal(approver, other)["approve_url"])

    status, body, _ = approver.get(link_path(this, others_token))
    assert status == 400, body
    assert pending_signal(approver, this)["approvals"] == 0
    assert pending_signal(approver, other)["approvals"] == 0


def test_a_link_after_the_execution_ended_is_a_conflict(
    api: Callable[..., ApiClient], waiting: Callable[..., tuple[ApiClient, str]]
) -> None:
    approver_name = a_user()
    approver = api(approver_name)
    requester, guid = waiting([approver_name])
    link = wait_for_signal(approver, guid)["approve_url"]
    assert requester.post(f"/execution/{guid}/terminate").status == 200

    status, body, _ = follow(approver, link)
    assert status == 409, body
    assert body["statusCode"] == 409
    assert record_state(requester, guid) == "TERMINATED"


@pytest.mark.concurrency
def test_two_concurrent_uses_of_one_link_succeed_once(
    api: Callable[..., ApiClient], waiting: Callable[..., tuple[ApiClient, str]]
) -> None:
    approver_name = a_user()
    requester, guid = waiting([approver_name])
    link = wait_for_signal(api(approver_name), guid)["approve_url"]
    barrier = threading.Barrier(2)
    replies: list[Reply] = []

    def use() -> None:
        client = api(approver_name)
        barrier.wait(timeout=10)
        replies.append(follow(client, link))

    threads = [threading.Thread(target=use) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(reply.status for reply in replies) == [200, 409], replies
    granted(requester, guid)


# -- delivery ---------------------------------------------------------------------------------------


def outbox_posts(outbox_file: Path, guid: str) -> list[dict]:
    if not outbox_file.exists():
        return []
    posts = [json.loads(line) for line in outbox_file.read_text().splitlines() if line.strip()]
    return [post for post in posts if f"/execution/{guid}/signal" in post["links"]["approve"]]


def test_the_links_are_delivered_to_the_webhook_for_each_approver_and_work(
    api: Callable[..., ApiClient], waiting: Callable[..., tuple[ApiClient, str]], outbox_file: Path
) -> None:
    names = [a_user(), a_user()]
    requester, guid = waiting(names, required_approvals=2)

    posts = wait_for(lambda: (posts := outbox_posts(outbox_file, guid)) and len(posts) >= 2 and posts)
    assert sorted(post["recipient"] for post in posts) == sorted(names)
    for post in posts:
        assert set(post["links"]) == {"approve", "deny", "console_approve", "console_deny"}
        # People get the console's page, which decides only on a POST after sign-in.
        assert post["links"]["console_approve"] in post["text"]
        assert post["links"]["console_deny"] in post["text"]
        assert "/console/decide#input=" in post["links"]["console_approve"]

    by_recipient = {post["recipient"]: post["links"] for post in posts}
    first = follow(api(names[0]), by_recipient[names[0]]["approve"])
    assert first.status == 200, first.body
    assert first.body["outcome"] == "pending"
    second = follow(api(names[1]), by_recipient[names[1]]["approve"])
    assert second.status == 200, second.body
    assert second.body["outcome"] == "approved"
    granted(requester, guid)


def test_links_are_still_delivered_after_a_cancelled_transaction(
    api: Callable[..., ApiClient], waiting: Callable[..., tuple[ApiClient, str]], outbox_file: Path
) -> None:
    """A bulk delete that names a running execution cancels its DynamoDB transaction; moto rolls
    that back by swapping the table for a copy, which once left the stream poller on a dead
    shard (no decision link was delivered after it)."""
    requester, running = waiting([a_user()])
    status, body, _ = requester.delete("/executions", {"executionIds": [running]})
    assert status == 200, body
    assert body["affected"] == 0
    assert record_state(requester, running) == "INPROGRESS"

    approver_name = a_user()
    _, guid = waiting([approver_name])

    wait_for(lambda: outbox_posts(outbox_file, guid))
    assert wait_for_signal(api(approver_name), guid)["guid"] == guid


# -- inspecting a link, and deciding with a body ------------------------------------------------------


def test_inspecting_a_link_shows_what_it_decides_and_spends_nothing(
    api: Callable[..., ApiClient], waiting: Callable[..., tuple[ApiClient, str]]
) -> None:
    approver_name = a_user()
    approver = api(approver_name)
    requester, guid = waiting([approver_name], reason="<img src=x onerror=alert(1)>")
    signal = wait_for_signal(approver, guid)
    assert signal["console_approve_url"].split("#input=")[1] == signal["approve_url"].split("?input=")[1]
    token = token_of(signal["approve_url"])

    status, body, _ = approver.post("/signals/inspect", {"input": token})

    assert status == 200, body
    assert (body["guid"], body["decision"], body["step"]) == (guid, "approve", "approval")
    assert body["input"]["reason"] == "<img src=x onerror=alert(1)>"
    assert (body["approvals"], body["required_approvals"]) == (0, 1)
    assert api(a_user()).post("/signals/inspect", {"input": token}).status == 403
    status, decided, _ = approver.post(f"/execution/{guid}/signal", {"input": token, "comment": "ok for the deploy"})
    assert (status, decided["outcome"]) == (200, "approved"), decided
    status, again, _ = approver.post("/signals/inspect", {"input": token})
    assert status == 409, again
    granted(requester, guid)


def test_a_decision_needs_its_token_in_the_query_or_the_body(
    api: Callable[..., ApiClient], waiting: Callable[..., tuple[ApiClient, str]]
) -> None:
    approver_name = a_user()
    approver = api(approver_name)
    _, guid = waiting([approver_name])
    wait_for_signal(approver, guid)

    status, body, _ = approver.post(f"/execution/{guid}/signal")
    assert status == 400, body
    assert body["message"].startswith("input:")
    status, body, _ = approver.post(f"/execution/{guid}/signal", {"input": "x", "unknown": 1})
    assert status == 400, body


def test_an_expired_link_is_gone_when_inspected(
    api: Callable[..., ApiClient], waiting: Callable[..., tuple[ApiClient, str]], signal_keyring: dict[str, str]
) -> None:
    approver_name = a_user()
    _, guid = waiting([approver_name])
    expired = seal(a_link(guid, approver_name, expires_in=timedelta(seconds=-1)), signal_keyring, SOURCE)

    status, body, _ = api(approver_name).post("/signals/inspect", {"input": expired})

    assert status == 410, body
