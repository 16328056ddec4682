"""The start form's generator (``schema_form.js``) on the workflows' real input schemas (the
elevation's pydantic model, the batch job's JSON Schema): labelled controls, the value it builds
starts an execution, and the API's 400 details land next to their fields. (The start page itself
takes these schemas from ``GET /workflows``.)"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from execution_api.infra.catalogue_config import load_catalogue
from execution_api.models.workflow_inputs import ElevationInput
from tests.e2e.conftest import a_user, wait_for_state
from toolkit.template import ROOT


def generated_form(page: Page, schema: dict[str, Any]) -> None:
    page.goto("/console/docs/")  # any page of the console's origin, to import its module
    page.evaluate(
        """async (schema) => {
             const { schemaForm } = await import('/console/js/schema_form.js');
             window.generated = schemaForm(schema);
             document.body.replaceChildren(window.generated.element);
           }""",
        schema,
    )


def test_the_elevation_form_starts_an_elevation_and_shows_the_apis_field_errors(new_page, api) -> None:
    page = new_page()
    generated_form(page, ElevationInput.model_json_schema())

    expect(page.get_by_label("Provider (required)")).to_have_value("aws")
    page.get_by_label("Role (required)").fill("developer")
    page.get_by_label("Reason").fill("generated form")
    page.get_by_label("Duration").fill("PT1H")
    value = page.evaluate("window.generated.collect()")

    assert value == {"role": "developer", "provider": "aws", "reason": "generated form", "duration": "PT1H"}
    client = api(a_user())
    status, started, _ = client.post("/execution", {"workflow": "default", "input": value})
    assert status == 201, started
    client.post(f"/execution/{started['run_id']}/cancel")

    page.get_by_label("Duration").fill("PT99H")
    status, refused, _ = client.post(
        "/execution", {"workflow": "default", "input": page.evaluate("window.generated.collect()")}
    )
    assert status == 400, refused
    unplaced = page.evaluate("details => window.generated.showErrors(details)", refused["details"])

    assert unplaced == []
    duration = page.get_by_label("Duration")
    expect(duration).to_have_attribute("aria-invalid", "true")
    expect(duration).to_be_focused()
    expect(page.locator("[data-field='duration'] .field-error")).to_contain_text("PT4H")


def test_the_batch_form_builds_lists_and_numbers(new_page, api) -> None:
    page = new_page()
    generated_form(page, load_catalogue(ROOT / "config", "dev").workflows["batch"].schema_of_input)
    page.get_by_label("Items (required)").fill("a\nb")
    page.get_by_label("Step seconds").fill("0")
    value = page.evaluate("window.generated.collect()")

    assert value == {"items": ["a", "b"], "step_seconds": 0, "timeout_seconds": 3600}
    client = api(a_user())
    status, started, _ = client.post("/execution", {"workflow": "batch", "input": value})
    assert status == 201, started
    wait_for_state(client, started["run_id"], "FINISHED")
