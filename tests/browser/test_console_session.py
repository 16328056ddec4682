"""Signing in and out: tokens stay out of URLs, an expired session comes back to the same page
after signing in again (or renews itself with the refresh token), sign-out ends the session."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import session_storage, sign_in, signed_in_page
from tests.e2e.conftest import a_user


def test_tokens_never_appear_in_a_url(new_page) -> None:
    page = new_page()
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    page.goto("/console/approvals")
    sign_in(page, a_user())
    expect(page.get_by_role("heading", name="Approvals")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/console/approvals$"))  # back where sign-in started, no code

    session = session_storage(page)
    assert session["id_token"]
    assert session["refresh_token"]
    for url in [*urls, page.url]:
        assert session["id_token"] not in url
        assert session["refresh_token"] not in url
    assert page.evaluate("localStorage.length") == 0


def test_an_expired_session_signs_in_again_and_returns_to_the_page(new_page) -> None:
    user = a_user()
    page = signed_in_page(new_page, "/console/?state=FINISHED", user)
    page.evaluate(
        """() => {
             const session = JSON.parse(sessionStorage.getItem('console.session'));
             const expired = {...session, expires_at: 0, refresh_token: null};
             sessionStorage.setItem('console.session', JSON.stringify(expired));
           }"""
    )
    page.get_by_role("link", name="Approvals").click()

    sign_in(page, user)
    expect(page).to_have_url(re.compile(r"/console/approvals$"))
    expect(page.get_by_role("heading", name="Approvals")).to_be_visible()


def test_an_expired_id_token_is_renewed_with_the_refresh_token(new_page) -> None:
    page = signed_in_page(new_page, "/console/", a_user())
    before = session_storage(page)
    page.evaluate(
        """() => {
             const session = JSON.parse(sessionStorage.getItem('console.session'));
             sessionStorage.setItem('console.session', JSON.stringify({...session, expires_at: 0}));
           }"""
    )
    page.get_by_role("link", name="Approvals").click()

    expect(page.get_by_text("Nothing waits for your decision.")).to_be_visible()  # the API answered
    after = session_storage(page)
    assert after["expires_at"] > 0
    assert after["id_token"] != before["id_token"]


def test_sign_out_ends_the_session(new_page) -> None:
    page = signed_in_page(new_page, "/console/", a_user())
    page.get_by_role("button", name="Sign out").click()

    expect(page.get_by_role("heading", name="Signed out")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/console/$"))
    assert session_storage(page) is None
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Local sign-in")).to_be_visible()
