"""The console in a real browser: Debian's Chromium, driven by Playwright for Python, against the
local server (``make run``'s), signing in through its real sign-in page.

One browser per session, a fresh context (its own cookies and sessionStorage) per page. The local
server is the session's (``tests/conftest.py``), shared with the end-to-end and CLI tests.
Each page records its script errors and Content Security Policy violations; a test fails when any
happened.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.conftest import wait_for

# Never `playwright install`: the browser is the distribution's (`make install` installs it).
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}

expect.set_options(timeout=20_000)  # executions run in the server's background threads

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def origin(request: pytest.FixtureRequest) -> str:
    """``http://127.0.0.1:<port>`` of the session's server (``local_server`` is its API's base URL)."""
    return request.getfixturevalue("local_server").removesuffix("/api/v1")


class PageProblems:
    """Script errors and CSP violations seen by the pages of one test."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def watch(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.items.append(f"page error: {error}"))
        page.on(
            "console",
            lambda message: (
                self.items.append(f"console: {message.text}")
                if "Content Security Policy" in message.text or "Trusted Type" in message.text
                else None
            ),
        )


@pytest.fixture
def new_page(browser: Browser, origin: str) -> Iterator[Callable[..., Page]]:
    """``new_page(viewport=DESKTOP)``: a page in a fresh browser context (nobody signed in)."""
    contexts = []
    problems = PageProblems()

    def make(viewport: dict[str, int] = DESKTOP) -> Page:
        context = browser.new_context(viewport=viewport, base_url=origin)
        contexts.append(context)
        page = context.new_page()
        problems.watch(page)
        return page

    yield make
    for context in contexts:
        context.close()
    assert problems.items == []


def sign_in(page: Page, email: str, groups: str = "") -> None:
    """Fills the local identity provider's sign-in page, as a person would."""
    expect(page.get_by_role("heading", name="Local sign-in")).to_be_visible()
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Groups (comma-separated)").fill(groups)
    page.get_by_role("button", name="Sign in").click()


def signed_in_page(new_page: Callable[..., Page], path: str, email: str, groups: str = "", **kwargs: Any) -> Page:
    page = new_page(**kwargs)
    page.goto(path)
    sign_in(page, email, groups)
    expect(page.get_by_test_id("user")).to_have_text(email)
    return page


def console_links(outbox: Path, recipient: str, guid: str) -> dict[str, str]:
    """The links the webhook received for ``recipient`` about execution ``guid`` (the "email")."""

    def find() -> dict[str, str] | None:
        if not outbox.exists():
            return None
        for line in outbox.read_text().splitlines():
            post = json.loads(line)
            if post.get("recipient") == recipient and guid in post["links"]["approve"]:
                return post["links"]
        return None

    return wait_for(find)


def session_storage(page: Page) -> dict[str, Any]:
    return page.evaluate("() => JSON.parse(sessionStorage.getItem('console.session') || 'null')")
