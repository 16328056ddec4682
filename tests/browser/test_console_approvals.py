"""Approvals from a link: requested in the console, decided by the approver from the link in the
notification (the local outbox), seen live by the requester; and every other outcome of a link."""

from __future__ import annotations

import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from execution_api.infra.sealing import DecisionLink, seal
from tests.browser.conftest import console_links, sign_in, signed_in_page
from tests.e2e.conftest import APPROVERS, ApiClient, a_user, elevation, pending_signal, start, wait_for_signal

SOURCE = "urn:execution-api:browser"
GROUP = f"group:{APPROVERS}"  # whom the developer role's decisions are addressed to


def request_elevation(page: Page, reason: str = "deploy the release") -> str:
    """Alice's part: the start form, then the new execution's page; returns its guid."""
    page.get_by_role("link", name="Start", exact=True).click()
    expect(page.get_by_label("Workflow", exact=True)).to_have_value("default")
    page.get_by_label("Role (required)").select_option("developer")
    page.get_by_label("Reason").fill(reason)
    page.get_by_role("button", name="Start").click()
    page.wait_for_url("**/console/executions/*")
    return page.url.rsplit("/", 1)[1]


def test_requested_approved_from_the_emailed_link_then_cancelled(new_page, outbox_file: Path, api) -> None:
    alice, bob = a_user(), a_user()
    requester = signed_in_page(new_page, "/console/", alice)
    guid = request_elevation(requester)
    expect(requester.get_by_test_id("grant")).to_have_text("Waiting for approval")
    expect(requester.locator(".steps [aria-current=step]")).to_contain_text("AwaitApproval")

    link = console_links(outbox_file, GROUP, guid)["console_approve"]
    approver = new_page()
    approver.goto(link)
    sign_in(approver, bob, APPROVERS)
    expect(approver.get_by_text("This link approves the request below.")).to_be_visible()
    summary = approver.locator(".decision-summary")
    expect(summary).to_contain_text(alice)
    expect(summary).to_contain_text("developer")
    expect(summary).to_contain_text("deploy the release")
    expect(summary).to_contain_text("0 of 1")
    approver.get_by_label("Comment (optional)").fill("ok for today")
    approver.get_by_role("button", name="Approve").click()
    expect(approver.get_by_role("heading", name="Approved")).to_be_visible()

    grant = requester.get_by_test_id("grant")  # the page updates itself: no reload
    expect(grant).to_contain_text("Granted: developer since")
    expect(grant).to_contain_text("until")
    expect(requester.locator(".steps [aria-current=step]")).to_contain_text("HoldGrant")
    requester.get_by_role("button", name="Cancel", exact=True).click()
    dialog = requester.get_by_role("dialog")
    expect(dialog).to_contain_text("graceful")
    expect(dialog).to_contain_text("forceful")
    dialog.get_by_role("button", name="Cancel the execution").click()
    expect(requester.locator(".status-line .badge")).to_have_text("Cancelled")
    expect(requester.get_by_test_id("live")).to_have_count(0)
    assert api(alice).get(f"/executions/{guid}").body["state"] == "STOPPED"


def test_opening_a_link_without_a_session_decides_nothing(new_page, outbox_file: Path, api, origin: str) -> None:
    requester, approver_name = api(a_user()), a_user()
    guid = start(requester, "default", elevation())["run_id"]
    link = console_links(outbox_file, GROUP, guid)["console_approve"]

    # A mail scanner or link preview: a plain GET of the page, then a browser that runs the page
    # but never signs in.
    with urllib.request.urlopen(link.split("#")[0], timeout=10) as response:
        assert response.status == 200
    previewer = new_page()
    previewer.goto(link)
    expect(previewer.get_by_role("heading", name="Local sign-in")).to_be_visible()
    token = link.split("#input=")[1]
    assert token not in previewer.url  # the token stayed in the console's own sessionStorage

    signal = pending_signal(api(approver_name, [APPROVERS]), guid)
    assert signal is not None
    assert signal["approvals"] == 0
    assert requester.get(f"/executions/{guid}").body["state"] == "INPROGRESS"


def test_a_used_link_an_expired_link_and_someone_elses_link_each_say_so(
    new_page, outbox_file: Path, api: Callable[..., ApiClient], signal_keyring: dict[str, str]
) -> None:
    requester, approver_name = api(a_user()), a_user()
    guid = start(requester, "default", elevation())["run_id"]
    wait_for_signal(api(approver_name, [APPROVERS]), guid)
    links = console_links(outbox_file, GROUP, guid)
    page = signed_in_page(new_page, "/console/approvals", approver_name, APPROVERS)

    page.goto(links["console_deny"])
    expect(page.get_by_text("This link denies the request below.")).to_be_visible()
    page.get_by_role("button", name="Deny").click()
    expect(page.get_by_role("heading", name="Denied")).to_be_visible()

    page.goto("/console/approvals")  # a new document: the link opened again, as from the mail
    page.goto(links["console_deny"])
    expect(page.get_by_role("heading", name="This request can no longer be decided")).to_be_visible()
    expect(page.locator(".outcome")).to_contain_text("already been used")

    page.goto("/console/approvals")
    page.goto(links["console_approve"])  # the other link of a decided request
    expect(page.get_by_role("heading", name="This request can no longer be decided")).to_be_visible()
    expect(page.locator(".outcome")).not_to_contain_text("already been used")

    expired = DecisionLink(
        str(uuid.uuid4()), guid, "approval", GROUP, "approve", datetime.now(UTC) - timedelta(minutes=1)
    )
    page.goto("/console/decide#input=" + seal(expired, signal_keyring, SOURCE))
    expect(page.get_by_role("heading", name="This link has expired")).to_be_visible()

    intruder = signed_in_page(new_page, "/console/", a_user())
    intruder.goto(links["console_approve"])
    expect(intruder.get_by_role("heading", name="This link is addressed to someone else")).to_be_visible()


def test_the_inbox_lists_what_waits_and_decides_with_a_comment(new_page, api) -> None:
    requester_name, approver_name = a_user(), a_user()
    guid = start(api(requester_name), "default", elevation(reason="inbox check"))["run_id"]
    wait_for_signal(api(approver_name, [APPROVERS]), guid)

    page = signed_in_page(new_page, "/console/approvals", approver_name, APPROVERS)
    card = page.locator(f"article[data-guid='{guid}']")
    expect(card).to_contain_text(requester_name)
    expect(card).to_contain_text("inbox check")
    card.get_by_label("Comment (optional)").fill("approved in the inbox")
    card.get_by_role("button", name="Approve").click()
    expect(card.get_by_role("status")).to_contain_text("Approved")
    assert pending_signal(api(approver_name, [APPROVERS]), guid) is None
