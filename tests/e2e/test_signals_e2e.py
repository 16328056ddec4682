"""Decision links end to end through the local server: quorums, and every way a link can be wrong
(addressed to someone else, tampered, foreign key, expired, replayed, another execution's, too
late, used twice at once), plus their delivery to the ``SignalWebhookUrl`` webhook, which the
local server plays itself (``POST /_local/outbox`` appends to ``LOCAL_OUTBOX_FILE``).

Approvers are whom the policy names (``config/roles.toml``): the developer and admin roles are
approved by group ``security-approvers``, so every link here is addressed to that group. Links are
sealed here with ``execution_api.infra.sealing.seal`` and the session server's own keyring
(``signal_keyring``, given to the server as its ``SignalKeySecret``) or another one.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from execution_api.infra.sealing import DecisionLink, seal
from tests.e2e.conftest import (
    APPROVERS,
    ApiClient,
    Reply,
    a_user,
    elevation,
    follow,
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
GROUP_RECIPIENT = f"group:{APPROVERS}"


def granted(client: ApiClient, guid: str) -> dict:
    """The record once the grant is held."""

    def holding() -> dict | None:
        status, body, _ = client.get(f"/executions/{guid}")
        assert status == 200, body
        return body if (body.get("grant") or {}).get("state") == "granted" else None

    return wait_for(holding)


def a_link(
    guid: str,
    recipient: str = GROUP_RECIPIENT,
    *,
    expires_in: timedelta = timedelta(hours=1),
    decision: str = "approve",
) -> DecisionLink:
    return DecisionLink(str(uuid.uuid4()), guid, "approval", recipient, decision, datetime.now(UTC) + expires_in)


@pytest.fixture
def approver(api: Callable[..., ApiClient]) -> Callable[[], ApiClient]:
    """``approver()``: a client for a new member of the approvers' group."""
    return lambda: api(a_user(), [APPROVERS])


@pytest.fixture
def waiting(api: Callable[..., ApiClient]) -> Iterator[Callable[..., tuple[ApiClient, str]]]:
    """``waiting(role="developer", **input)``: a started elevation; ended after the test."""
    started: list[tuple[ApiClient, str]] = []

    def make(role: str = "developer", requester: ApiClient | None = None, **extra: object) -> tuple[ApiClient, str]:
        requester = requester or api(a_user())
        guid = start(requester, "default", elevation(role, **extra))["run_id"]
        started.append((requester, guid))
        return requester, guid

    yield make
    for requester, guid in started:
        if record_state(requester, guid) == "INPROGRESS":
            requester.post(f"/execution/{guid}/terminate")


# -- quorum ------------------------------------------------------------------------------------------


def test_two_approvals_of_two_people_grant_admin_on_the_second(
    approver: Callable[[], ApiClient], waiting: Callable[..., tuple[ApiClient, str]]
) -> None:
    b, c, d = approver(), approver(), approver()
    requester, guid = waiting("admin")

    status, body, _ = follow(b, wait_for_signal(b, guid)["approve_url"])
    assert status == 200, body
    assert (body["outcome"], body["approvals"], body["required_approvals"]) == ("pending", 1, 2)
    assert pending_signal(b, guid) is None  # b has decided
    assert wait_for_signal(d, guid)["approvals"] == 1

    status, body, _ = follow(c, wait_for_signal(c, guid)["approve_url"])
    assert status == 200, body
    assert (body["outcome"], body["approvals"]) == ("approved", 2)

    record = granted(requester, guid)
    assert sorted(record["approved_by"]) == sorted([b.name, c.name])
    assert pending_signal(d, guid) is None  # decided: nothing left for the third approver


def test_one_denial_decides_at_once(
    approver: Callable[[], ApiClient], waiting: Callable[..., tuple[ApiClient, str]]
) -> None:
    b = approver()
    requester, guid = waiting("admin")

    status, body, _ = follow(b, wait_for_signal(b, guid)["deny_url"])

    assert (status, body["outcome"]) == (200, "denied"), body
    ended = wait_for(lambda: (record := requester.get(f"/executions/{guid}").body)["state"] != "INPROGRESS" and record)
    assert ended["state"] == "FINISHED"
    assert ended["output"]["granted"] is False


# -- wrong links ------------------------------------------------------------------------------------


def test_a_link_used_by_someone_outside_the_group_is_forbidden(
    api: Callable[..., ApiClient], approver: Callable[[], ApiClient], waiting: Callable[..., tuple[ApiClient, str]]
) -> None:
    b = approver()
    _, guid = waiting()
    link = wait_for_signal(b, guid)["approve_url"]

    status, body, _ = follow(api(a_user()), link)
    assert status == 403, body
    assert body["statusCode"] == 403
    assert wait_for_signal(b, guid)["approvals"] == 0


def test_a_tampered_link_is_refused(
    approver: Callable[[], ApiClient], waiting: Callable[..., tuple[ApiClient, str]]
) -> None:
    b = approver()
    _, guid = waiting()
    token = token_of(wait_for_signal(b, guid)["approve_url"])
    middle = len(token) // 2
    tampered = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]

    status, body, _ = b.get(link_path(guid, tampered))
    assert status == 400, body
    assert "input" in body["message"]
    assert pending_signal(b, guid)["approvals"] == 0


def test_a_link_sealed_with_another_key_is_refused(
    approver: Callable[[], ApiClient], waiting: Callable[..., tuple[ApiClient, str]]
) -> None:
    b = approver()
    _, guid = waiting()
    wait_for_signal(b, guid)
    foreign = seal(a_link(guid), {"current": "k1", "k1": "not-the-servers-key"}, SOURCE)

    status, body, _ = b.get(link_path(guid, foreign))
    assert status == 400, body
    assert pending_signal(b, guid)["approvals"] == 0


def test_a_link_sealed_with_the_servers_key_is_accepted(
    approver: Callable[[], ApiClient], waiting: Callable[..., tuple[ApiClient, str]], signal_keyring: dict[str, str]
) -> None:
    """The control for the two tests around it: the keyring really is the server's."""
    b = approver()
    requester, guid = waiting()
    wait_for_signal(b, guid)

    status, body, _ = b.get(link_path(guid, seal(a_link(guid), signal_keyring, SOURCE)))
    assert status == 200, body
    assert body["outcome"] == "approved"
    granted(requester, guid)


def test_an_expired_link_is_gone(
    approver: Callable[[], ApiClient], waiting: Callable[..., tuple[ApiClient, str]], signal_keyring: dict[str, str]
) -> None:
    b = approver()
    _, guid = waiting()
    wait_for_signal(b, guid)
    expired = seal(a_link(guid, expires_in=timedelta(minutes=-1)), signal_keyring, SOURCE)

    status, body, _ = b.get(link_path(guid, expired))
    assert status == 410, body
    assert body["statusCode"] == 410
    assert pending_signal(b, guid)["approvals"] == 0


def test_a_used_link_cannot_be_replayed(
    approver: Callable[[], ApiClient], waiting: Callable[..., tuple[ApiClient, str]]
) -> None:
    b, c = approver(), approver()
    _, guid = waiting("admin")  # still waiting after b's approval
    link = wait_for_signal(b, guid)["approve_url"]
    assert follow(b, link).status == 200

    status, body, _ = follow(b, link)
    assert status == 409, body
    assert body["statusCode"] == 409
    assert wait_for_signal(c, guid)["approvals"] == 1


def test_one_person_counts_once_whatever_link_they_use(
    approver: Callable[[], ApiClient], waiting: Callable[..., tuple[ApiClient, str]], api: Callable[..., ApiClient]
) -> None:
    b = approver()
    _, guid = waiting("admin")
    first = wait_for_signal(b, guid)["approve_url"]
    other_link = wait_for_signal(approver(), guid)["approve_url"]  # another member's fresh link to the group
    assert follow(b, first).status == 200

    for again in (b, api(b.name.upper(), [APPROVERS])):  # the same person, the email in other letters
        status, body, _ = follow(again, other_link)
        assert status == 409, body
        assert "already approved" in body["message"]


def test_another_executions_link_on_this_executions_path_is_refused(
    approver: Callable[[], ApiClient], waiting: Callable[..., tuple[ApiClient, str]]
) -> None:
    b = approver()
    _, this = waiting()
    _, other = waiting()
    wait_for_signal(b, this)
    others_token = token_of(wait_for_signal(b, other)["approve_url"])

    status, body, _ = b.get(link_path(this, others_token))
    assert status == 400, body
    assert pending_signal(b, this)["approvals"] == 0
    assert pending_signal(b, other)["approvals"] == 0


def test_a_link_after_the_execution_ended_is_a_conflict(
    approver: Callable[[], ApiClient], waiting: Callable[..., tuple[ApiClient, str]]
) -> None:
    b = approver()
    requester, guid = waiting()
    link = wait_for_signal(b, guid)["approve_url"]
    assert requester.post(f"/execution/{guid}/terminate").status == 200

    status, body, _ = follow(b, link)
    assert status == 409, body
    assert body["statusCode"] == 409
    assert record_state(requester, guid) == "TERMINATED"


@pytest.mark.concurrency
def test_two_concurrent_uses_of_one_link_succeed_once(
    api: Callable[..., ApiClient], waiting: Callable[..., tuple[ApiClient, str]]
) -> None:
    name = a_user()
    requester, guid = waiting()
    link = wait_for_signal(api(name, [APPROVERS]), guid)["approve_url"]
    barrier = threading.Barrier(2)
    replies: list[Reply] = []

    def use() -> None:
        client = api(name, [APPROVERS])
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


def test_each_recipient_gets_their_links_and_user_text_is_escaped(
    api: Callable[..., ApiClient], waiting: Callable[..., tuple[ApiClient, str]], outbox_file: Path
) -> None:
    """incident-commander is approved by the group and by one named user: two recipients."""
    oncall = api(a_user(), ["oncall"])
    reason = "<script>alert(1)</script> & *bold*"
    requester, guid = waiting("incident-commander", requester=oncall, reason=reason, ticket="INC-42")

    posts = wait_for(lambda: (posts := outbox_posts(outbox_file, guid)) and len(posts) >= 2 and posts)
    assert sorted(post["recipient"] for post in posts) == [GROUP_RECIPIENT, "user:security-lead@example.com"]
    for post in posts:
        assert set(post["links"]) == {"approve", "deny", "console_approve", "console_deny"}
        # People get the console's page, which decides only on a POST after sign-in.
        assert post["links"]["console_approve"] in post["text"]
        assert "/console/decide#input=" in post["links"]["console_approve"]
        assert "<script>" not in post["text"]
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; *bold*" in post["text"]
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;amp; *bold*" not in post["html"]
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; *bold*" in post["html"]

    by_recipient = {post["recipient"]: post["links"] for post in posts}
    lead = api("security-lead@example.com")
    status, body, _ = follow(lead, by_recipient["user:security-lead@example.com"]["approve"])
    assert (status, body["outcome"]) == (200, "approved"), body
    granted(requester, guid)


def test_links_are_still_delivered_after_a_cancelled_transaction(
    approver: Callable[[], ApiClient], waiting: Callable[..., tuple[ApiClient, str]], outbox_file: Path
) -> None:
    """A bulk delete that names a running execution cancels its DynamoDB transaction; moto rolls
    that back by swapping the table for a copy, which once left the stream poller on a dead
    shard (no decision link was delivered after it)."""
    requester, running = waiting()
    status, body, _ = requester.delete("/executions", {"executionIds": [running]})
    assert status == 200, body
    assert body["affected"] == 0
    assert record_state(requester, running) == "INPROGRESS"

    _, guid = waiting()

    wait_for(lambda: outbox_posts(outbox_file, guid))
    assert wait_for_signal(approver(), guid)["guid"] == guid


def test_the_inbox_pages(approver: Callable[[], ApiClient], waiting: Callable[..., tuple[ApiClient, str]]) -> None:
    b = approver()
    mine = {waiting()[1] for _ in range(3)}
    for guid in mine:
        wait_for_signal(b, guid)

    seen: list[str] = []
    query: dict = {"limit": 2}
    while True:
        status, body, _ = b.get("/signals", query=query)
        assert status == 200, body
        assert len(body["signals"]) <= 2
        seen += [signal["guid"] for signal in body["signals"]]
        if not body["next_token"]:
            break
        query["next_token"] = body["next_token"]
    assert mine <= set(seen)
    assert len(seen) == len(set(seen))


# -- inspecting a link, and deciding with a body ------------------------------------------------------


def test_inspecting_a_link_shows_what_it_decides_and_spends_nothing(
    api: Callable[..., ApiClient], approver: Callable[[], ApiClient], waiting: Callable[..., tuple[ApiClient, str]]
) -> None:
    b = approver()
    requester, guid = waiting(reason="<img src=x onerror=alert(1)>")
    signal = wait_for_signal(b, guid)
    assert signal["console_approve_url"].split("#input=")[1] == signal["approve_url"].split("?input=")[1]
    token = token_of(signal["approve_url"])

    status, body, _ = b.post("/signals/inspect", {"input": token})

    assert status == 200, body
    assert (body["guid"], body["decision"], body["step"]) == (guid, "approve", "approval")
    assert body["input"]["reason"] == "<img src=x onerror=alert(1)>"
    assert (body["approvals"], body["required_approvals"]) == (0, 1)
    assert api(a_user()).post("/signals/inspect", {"input": token}).status == 403
    status, decided, _ = b.post(f"/execution/{guid}/signal", {"input": token, "comment": "ok for the deploy"})
    assert (status, decided["outcome"]) == (200, "approved"), decided
    status, again, _ = b.post("/signals/inspect", {"input": token})
    assert status == 409, again
    granted(requester, guid)


def test_a_decision_needs_its_token_in_the_query_or_the_body(
    approver: Callable[[], ApiClient], waiting: Callable[..., tuple[ApiClient, str]]
) -> None:
    b = approver()
    _, guid = waiting()
    wait_for_signal(b, guid)

    status, body, _ = b.post(f"/execution/{guid}/signal")
    assert status == 400, body
    assert body["message"].startswith("input:")
    status, body, _ = b.post(f"/execution/{guid}/signal", {"input": "x", "unknown": 1})
    assert status == 400, body


def test_an_expired_link_is_gone_when_inspected(
    approver: Callable[[], ApiClient], waiting: Callable[..., tuple[ApiClient, str]], signal_keyring: dict[str, str]
) -> None:
    _, guid = waiting()
    expired = seal(a_link(guid, expires_in=timedelta(seconds=-1)), signal_keyring, SOURCE)

    status, body, _ = approver().post("/signals/inspect", {"input": expired})

    assert status == 410, body
