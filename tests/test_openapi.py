"""The committed openapi.json is what the functions' own routes produce."""

import json

from local.openapi import DOCUMENT, build_document, render


def test_committed_document_matches_the_code():
    assert render(build_document()) == DOCUMENT.read_text(), "openapi.json drifted: run `make openapi`"


def test_every_template_route_is_documented_with_the_contract_errors():
    document = json.loads(DOCUMENT.read_text())
    operations = {(path, method) for path, methods in document["paths"].items() for method in methods}
    assert ("/executions", "get") in operations
    assert ("/execution/{id}/signal", "post") in operations
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            assert "422" not in operation["responses"], (path, method)
            assert {"400", "401", "500", "503"} <= set(operation["responses"]), (path, method)
    assert document["security"] == [{"jwt": []}]
