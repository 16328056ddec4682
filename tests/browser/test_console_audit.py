"""An elevation's audit trail on its page: admins watch it grow from the request to the revoke;
the requester, not an admin, gets no trail (the API answers 403 to them)."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import expect

from tests.browser.conftest import signed_in_page
from tests.e2e.conftest import ApiClient, a_user, elevation, start

ADMIN_GROUP = "execution-admins"


def test_an_admin_watches_the_trail_from_request_to_revoke(new_page, api: Callable[..., ApiClient]) -> None:
    requester = a_user()
    guid = start(api(requester), "default", elevation("flash"))["run_id"]  # auto-approved, held 5 s

    page = signed_in_page(new_page, f"/console/executions/{guid}", "auditor@example.com", ADMIN_GROUP)

    trail = page.get_by_test_id("audit-trail")
    expect(trail.locator("li").first).to_contain_text(f"requested by {requester}")
    expect(trail).to_contain_text("granted by grant")
    expect(trail).to_contain_text("revoked by")  # the hold ends, the grant is taken back, shown live
    expect(trail).to_contain_text("cause: expired")
    expect(page.get_by_test_id("grant")).to_contain_text("Was granted flash; revoked")
    expect(page.get_by_test_id("grant")).to_contain_text("(expired)")
    types = trail.locator(".event-type").all_inner_texts()
    assert types.index("requested") < types.index("granted") < types.index("revoked")


def test_the_requester_sees_the_grant_but_no_trail(new_page, api: Callable[..., ApiClient]) -> None:
    requester = a_user()
    guid = start(api(requester), "default", elevation("flash"))["run_id"]

    page = signed_in_page(new_page, f"/console/executions/{guid}", requester)

    expect(page.get_by_test_id("grant")).to_contain_text("flash")  # granted, then revoked: the record says so
    expect(page.get_by_test_id("audit-trail")).to_have_count(0)
    expect(page.get_by_role("heading", name="Audit trail")).to_have_count(0)
