"""The executions pages: filters and paging in the URL, live refresh, bulk delete, terminate;
text from the API shown as text; usable with a keyboard, labels and a 360 px screen."""

from __future__ import annotations

import re
import urllib.parse
import uuid
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, sign_in, signed_in_page
from tests.e2e.conftest import ApiClient, a_user, elevation, start, wait_for_state

XSS = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">'


def finished_batches(client: ApiClient, session: str, count: int) -> list[str]:
    guids = []
    for _ in range(count):
        body = {"workflow": "batch", "input": {"items": ["a"]}, "sessionId": session}
        status, started, _ = client.post("/execution", body)
        assert status == 201, started
        guids.append(started["run_id"])
    for guid in guids:
        wait_for_state(client, guid, "FINISHED")
    return guids


def shown_guids(page: Page) -> list[str]:
    return page.locator("tbody tr").evaluate_all("rows => rows.map(row => row.dataset.guid)")


def test_filters_and_pages_live_in_the_url(new_page, api: Callable[..., ApiClient]) -> None:
    user, session = a_user(), f"paging-{uuid.uuid4().hex[:6]}"
    newest_first = list(reversed(finished_batches(api(user), session, 5)))
    page = signed_in_page(new_page, f"/console/?sessionId={session}&limit=2", user)

    expect(page.locator("tbody tr")).to_have_count(2)
    assert shown_guids(page) == newest_first[:2]
    expect(page.locator(".summary")).to_contain_text("5 executions")
    page.get_by_role("button", name="Next page").click()
    expect(page).to_have_url(re.compile(r"cursor="))
    expect(page.locator(".page-number")).to_have_text("Page 2")
    expect(page.locator(f"tr[data-guid='{newest_first[2]}']")).to_be_visible()
    assert shown_guids(page) == newest_first[2:4]

    bookmarked = page.url  # the same page again, as a bookmark (a new tab signs in: its own session)
    other_tab = page.context.new_page()
    other_tab.goto(bookmarked)
    sign_in(other_tab, user)
    expect(other_tab).to_have_url(bookmarked)
    expect(other_tab.locator(f"tr[data-guid='{newest_first[2]}']")).to_be_visible()
    assert shown_guids(other_tab) == newest_first[2:4]
    other_tab.close()

    page.get_by_role("button", name="Previous page").click()
    expect(page.locator(f"tr[data-guid='{newest_first[0]}']")).to_be_visible()
    page.get_by_label("State").select_option("ERROR")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"state=ERROR"))
    expect(page).to_have_url(re.compile(f"sessionId={session}"))
    expect(page.get_by_text("No executions match these filters.")).to_be_visible()


def test_the_list_refreshes_while_an_execution_runs_and_stops_after(new_page, api) -> None:
    user, session = a_user(), f"live-{uuid.uuid4().hex[:6]}"
    client = api(user)
    (ended,) = finished_batches(client, session, 1)
    status, started, _ = client.post(
        "/execution", {"workflow": "batch", "input": {"items": ["a"], "step_seconds": 4}, "sessionId": session}
    )
    assert status == 201, started
    page = signed_in_page(new_page, f"/console/?sessionId={session}", user)

    row = page.locator(f"tr[data-guid='{started['run_id']}']")
    expect(row.locator(".badge")).to_have_text("Running")
    expect(page.get_by_test_id("live")).to_be_visible()
    # A keyboard user on a checkbox keeps their place when the rows are redrawn.
    checkbox = page.locator(f"[data-focus-key='select-{ended}']")
    checkbox.focus()
    checkbox.evaluate("element => { element.dataset.before = 'refresh'; }")
    expect(page.locator(f"[data-focus-key='select-{ended}']:not([data-before])")).to_be_attached()
    expect(page.locator(f"[data-focus-key='select-{ended}']")).to_be_focused()

    expect(row.locator(".badge")).to_have_text("Finished")  # no reload: the page refreshed itself
    expect(page.get_by_test_id("live")).to_be_hidden()


def test_bulk_delete_confirms_then_reports_each_execution(new_page, api) -> None:
    user, session = a_user(), f"bulk-{uuid.uuid4().hex[:6]}"
    client = api(user)
    ended = finished_batches(client, session, 2)
    body = {"workflow": "default", "input": elevation(), "sessionId": session}
    running = client.post("/execution", body).body["run_id"]
    page = signed_in_page(new_page, f"/console/?sessionId={session}", user)
    expect(page.locator("tbody tr")).to_have_count(3)
    expect(page.locator(f"tr[data-guid='{running}'] input[type=checkbox]")).to_be_disabled()
    expect(page.get_by_role("button", name="Delete selected")).to_be_disabled()

    page.get_by_label("Select every ended execution on this page").check()
    page.get_by_role("button", name="Delete selected (2)").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Delete 2 executions?")
    for guid in ended:
        expect(dialog).to_contain_text(guid)
    dialog.get_by_role("button", name="Delete").click()

    results = page.get_by_role("region", name="Delete results")
    expect(results).to_contain_text("Deleted 2 of 2")
    for guid in ended:
        expect(results.locator(f"li[data-guid='{guid}']")).to_contain_text("deleted")
        assert client.get(f"/executions/{guid}").status == 404
    expect(page.locator("tbody tr")).to_have_count(1)  # the running one stays
    assert client.get(f"/executions/{running}").body["state"] == "INPROGRESS"
    client.post(f"/execution/{running}/cancel")


def test_cancelling_a_workflow_without_cleanup_says_it_stops_it(new_page, api) -> None:
    user = a_user()
    guid = start(api(user), "report", {"title": "Monthly", "period": "monthly", "delay_seconds": 600})["run_id"]
    page = signed_in_page(new_page, f"/console/executions/{guid}", user)
    expect(page.locator("dl.record")).to_contain_text("stops it (no cleanup to run)")
    expect(page.locator("dl.record")).to_contain_text("team=analytics")

    page.get_by_role("button", name="Cancel", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Cancel stops it")
    dialog.get_by_role("button", name="Cancel the execution").click()

    expect(page.locator(".status-line .badge")).to_have_text("Cancelled")
    assert api(user).get(f"/executions/{guid}").body["cancel_mode"] == "stop"


def test_terminate_asks_first_and_says_how_it_differs_from_cancel(new_page, api) -> None:
    user = a_user()
    guid = start(api(user), "default", elevation())["run_id"]
    page = signed_in_page(new_page, f"/console/executions/{guid}", user)
    expect(page.get_by_test_id("live")).to_be_visible()

    page.get_by_role("button", name="Terminate").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("forceful")
    expect(dialog).to_contain_text("cleanup steps do not run")
    expect(dialog).to_contain_text("Cancel, which is graceful")
    dialog.get_by_role("button", name="Keep it").click()
    expect(page.locator(".status-line .badge")).to_have_text("Running")

    page.get_by_role("button", name="Terminate").click()
    page.get_by_role("dialog").get_by_role("button", name="Terminate").click()
    expect(page.locator(".status-line .badge")).to_have_text("Terminated")
    expect(page.get_by_role("button", name="Delete")).to_be_visible()
    assert api(user).get(f"/executions/{guid}").body["state"] == "TERMINATED"


def test_share_and_download_as_json(new_page, api) -> None:
    user = a_user()
    guid = finished_batches(api(user), f"share-{uuid.uuid4().hex[:6]}", 1)[0]
    page = signed_in_page(new_page, f"/console/executions/{guid}", user)

    page.get_by_role("button", name="Share (read-only, signed-in users)").click()
    expect(page.get_by_role("button", name="Shared: stop sharing")).to_have_attribute("aria-pressed", "true")
    reader = signed_in_page(new_page, f"/console/executions/{guid}", a_user())
    expect(reader.get_by_text("Shared with you: read-only.")).to_be_visible()
    expect(reader.get_by_role("button", name="Delete")).to_have_count(0)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download as JSON").click()
    assert download.value.suggested_filename == f"execution-{guid}.json"
    assert f'"guid": "{guid}"' in download.value.path().read_text()


def test_text_from_the_api_is_shown_as_text(new_page, api) -> None:
    user = a_user()
    client = api(user)
    body = {"workflow": "default", "input": elevation(reason=XSS), "sessionId": XSS}
    guid = client.post("/execution", body).body["run_id"]

    def inert(page: Page) -> None:
        assert page.evaluate("window.__xss") is None
        assert page.locator("img[src=x]").count() == 0

    page = signed_in_page(new_page, f"/console/executions/{guid}", user)
    expect(page.locator(".panel").filter(has_text="Elevation")).to_contain_text(XSS)
    expect(page.locator(".record").first).to_contain_text(XSS)
    inert(page)
    page.goto("/console/")
    expect(page.locator(f"tr[data-guid='{guid}'] .session")).to_have_text(XSS)
    inert(page)
    # A crafted link: the filters come from the URL into the form, and the API refuses them.
    page.goto("/console/?" + urllib.parse.urlencode({"sessionId": XSS, "startDate": XSS}))
    expect(page.get_by_role("alert")).to_contain_text("Invalid request")
    expect(page.get_by_label("Session")).to_have_value(XSS)
    inert(page)
    client.post(f"/execution/{guid}/cancel")


def test_start_offers_the_roles_you_may_request_and_shows_the_apis_field_errors(new_page, api) -> None:
    user = a_user()
    page = signed_in_page(new_page, "/console/start", user)
    role = page.get_by_label("Role (required)")
    expect(role).to_be_visible()
    requestable = [each["name"] for each in api(user).get("/roles").body["roles"]]
    expect(role.locator("option")).to_have_count(len(requestable))

    assert role.locator("option").evaluate_all("options => options.map(option => option.value)") == requestable
    role.select_option("developer")  # no reason given: the developer role's policy needs one
    page.get_by_role("button", name="Start").click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Not started")
    reason = page.get_by_label("Reason")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(page.locator("[data-field='reason'] .field-error")).to_contain_text("needs a reason")
    assert api(user).get("/executions").body["total"] == 0


def test_start_builds_each_workflows_form_from_get_workflows_and_runs_the_report(new_page, api) -> None:
    user = a_user()
    page = signed_in_page(new_page, "/console/start", user)
    picker = page.get_by_label("Workflow", exact=True)
    startable = [workflow["name"] for workflow in api(user).get("/workflows").body["workflows"]]
    expect(picker.locator("option")).to_have_count(len(startable))  # filled once GET /workflows answers

    assert picker.locator("option").evaluate_all("options => options.map(option => option.value)") == startable
    picker.select_option("report")
    page.wait_for_url("**/console/start?workflow=report")
    expect(page.get_by_test_id("workflow-about")).to_contain_text("A cancel stops it at once")
    expect(page.get_by_label("Format")).to_have_value("json")
    page.get_by_label("Title (required)").fill("Sales of the week")
    page.get_by_label("Period (required)").select_option("weekly")
    page.get_by_label("Delay seconds").fill("0")
    page.get_by_role("button", name="Start").click()

    page.wait_for_url("**/console/executions/*")
    guid = page.url.rsplit("/", 1)[1]
    expect(page.locator(".status-line .badge")).to_have_text("Finished")
    record = api(user).get(f"/executions/{guid}").body
    assert record["input"] == {"title": "Sales of the week", "period": "weekly", "format": "json", "delay_seconds": 0}
    assert record["output"]["days"] == 7


def test_usable_on_a_360_px_screen_with_labels_and_keyboard(new_page, api) -> None:
    user = a_user()
    finished_batches(api(user), f"phone-{uuid.uuid4().hex[:6]}", 1)
    page = signed_in_page(new_page, "/console/", user, viewport=PHONE)
    expect(page.locator("tbody tr")).to_have_count(1)

    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea, button')]
               .filter(el => !(el.labels && el.labels.length))
               .filter(el => !el.getAttribute('aria-label') && !el.textContent.trim())
               .map(el => el.outerHTML)"""
    )
    assert unlabelled == []
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.locator("tbody tr a").first.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/console/executions/"))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_start_offers_identity_center_pairs_and_names_a_refused_one(new_page, api) -> None:
    user = a_user()
    page = signed_in_page(new_page, "/console/start", user)
    page.get_by_label("Role (required)").select_option("sso-operator")
    page.get_by_label("Provider (required)").select_option("aws-sso")
    page.get_by_label("Reason").fill("check the release")
    account = page.get_by_label("Account")

    expect(account.locator("option")).to_have_text(["—", "111111111111 (production)", "222222222222 (development)"])
    account.select_option("111111111111")
    page.get_by_label("Permission set").select_option("AdministratorAccess")  # only ReadOnly on production
    page.get_by_role("button", name="Start").click()

    expect(page.get_by_role("alert")).to_contain_text("Not started")
    expect(page.get_by_label("Permission set")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Permission set").select_option("ReadOnlyAccess")
    page.get_by_role("button", name="Start").click()

    page.wait_for_url("**/console/executions/*")
    guid = page.url.rsplit("/", 1)[1]
    record = api(user).get(f"/executions/{guid}").body
    assert (record["input"]["account"], record["input"]["permission_set"]) == ("111111111111", "ReadOnlyAccess")
    api(user).post(f"/execution/{guid}/cancel")
