"""The API reference: Swagger UI 5 (OpenAPI 3.1) at /console/docs/, every operation rendered,
under the same strict CSP (the page fixture fails the test on any violation)."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from local.openapi import DOCUMENT


def test_swagger_ui_renders_every_operation_of_the_document(new_page) -> None:
    document = json.loads(DOCUMENT.read_text())
    operations = [(method, path) for path, methods in document["paths"].items() for method in methods]
    page = new_page()
    page.goto("/api/v1/docs")  # the old address leads to the console's page

    expect(page).to_have_url(re.compile(r"/console/docs/$"))
    expect(page.locator(".opblock")).to_have_count(len(operations))
    for method, path in operations:
        block = page.locator(f".opblock-{method}").filter(has=page.locator(f"[data-path='{path}']"))
        expect(block).to_have_count(1)
    expect(page.get_by_text("Unable to render this definition")).to_have_count(0)
    expect(page.locator(".version-stamp").first).to_contain_text("OAS 3.1")
