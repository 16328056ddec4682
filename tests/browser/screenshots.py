"""Regenerates the README's screenshots of the console (``make screenshots``): a fresh local
server, a few executions, and Chromium at 1280 px (and the list at 360 px).

    python -m tests.browser.screenshots [--output docs/screenshots]
"""

from __future__ import annotations

import argparse
import json
import secrets
import tempfile
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from local.token import mint_token
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, console_links, sign_in
from tests.e2e.conftest import APPROVERS, elevation, start, wait_for, wait_for_state
from tests.local_server import ROOT, ApiClient, free_port, serving

ALICE, BOB = "alice@example.com", "bob@example.com"


def _executions(alice: ApiClient) -> tuple[str, str]:
    """Finished, failed, cancelled and running executions; returns (the elevation to approve, a batch)."""
    batch = start(alice, "batch", {"items": ["extract", "transform", "load"]})["run_id"]
    alice.post("/execution", {"workflow": "batch", "input": {"items": ["a", "fail"]}, "sessionId": "nightly-42"})
    cancelled = start(alice, "default", elevation("readonly", reason="audit the logs"))["run_id"]
    alice.post(f"/execution/{cancelled}/cancel")
    alice.post("/execution", {"workflow": "batch", "input": {"items": ["a", "b"], "step_seconds": 3600}})
    wait_for_state(alice, batch, "FINISHED")
    request = elevation("developer", reason="Deploy release 2.4 to production", duration="PT2H")
    return start(alice, "default", request)["run_id"], batch


def _signed_in(browser, base: str, path: str, user: str, viewport: dict[str, int], groups: str = "") -> Page:
    page = browser.new_context(viewport=viewport, base_url=base).new_page()
    page.goto(path)
    sign_in(page, user, groups)
    expect(page.get_by_test_id("user")).to_have_text(user)
    return page


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    args.output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir:
        work = Path(workdir)
        port = free_port()
        issuer = f"http://127.0.0.1:{port}/local-idp"
        keyring = {"current": "k1", "k1": secrets.token_urlsafe(48)}
        outbox = work / "outbox.jsonl"
        with serving(work / "key.pem", keyring, outbox, work, issuer, ROOT / "config", port) as api_url:
            base = api_url.removesuffix("/api/v1")
            alice = ApiClient(api_url, mint_token(ALICE, key_file=work / "key.pem", issuer=issuer))
            guid, _ = _executions(alice)
            link = console_links(outbox, f"group:{APPROVERS}", guid)["console_approve"]
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                approver = _signed_in(browser, base, link.removeprefix(base), BOB, DESKTOP, APPROVERS)
                expect(approver.get_by_text("This link approves the request below.")).to_be_visible()
                approver.screenshot(path=args.output / "approval.png", full_page=True)
                approver.get_by_role("button", name="Approve").click()
                expect(approver.get_by_role("heading", name="Approved")).to_be_visible()

                page = _signed_in(browser, base, f"/console/executions/{guid}", ALICE, DESKTOP)
                expect(page.get_by_test_id("grant")).to_contain_text("Granted")
                page.screenshot(path=args.output / "execution-detail.png", full_page=True)
                page.goto("/console/")
                expect(page.locator("tbody tr")).to_have_count(5)
                wait_for(lambda: page.locator(".badge", has_text="Failed").count() == 1)
                page.screenshot(path=args.output / "executions.png", full_page=True)
                phone = _signed_in(browser, base, "/console/", ALICE, PHONE)
                expect(phone.locator("tbody tr")).to_have_count(5)
                phone.screenshot(path=args.output / "executions-360px.png", full_page=True)
                browser.close()
            print(json.dumps(sorted(path.name for path in args.output.glob("*.png"))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
