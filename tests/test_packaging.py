"""What ``sam build`` ships to each function is enough to import its handler: every third-party
module the handler imports comes from a layer the template attaches to that function, or from
the Lambda runtime (boto3 and its dependencies). The local server and the tests run in one venv
holding everything, so a missing layer requirement would otherwise show only in AWS."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from functools import cache
from importlib import metadata
from pathlib import Path

import pytest

from tests.cfn import ROOT, load_template, resources_of_type

TEMPLATE = load_template()
FUNCTIONS = resources_of_type(TEMPLATE, "AWS::Serverless::Function")
LAYERS = resources_of_type(TEMPLATE, "AWS::Serverless::LayerVersion")
RUNTIME_PROVIDED = ["boto3"]  # every Lambda Python runtime includes boto3 and what it requires
# Imported only when installed (botocore falls back to its own CA bundle without certifi).
OPTIONAL_IMPORTS = {"certifi"}

_IMPORTED_TOP_LEVEL = """
import importlib.util, json, sys
before = set(sys.modules)  # what the interpreter's start loaded (site hooks) is not the handler's
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps(sorted({name.split(".")[0] for name in set(sys.modules) - before})))
"""


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(line: str) -> str | None:
    line = line.split("#", 1)[0].strip()
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line)
    return _canonical(match.group(0)) if match else None


@cache
def _with_dependencies(name: str) -> frozenset[str]:
    """A distribution and everything it requires (extras left out), as installed here."""
    seen: set[str] = set()
    pending = [name]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        for requirement in metadata.requires(current) or []:
            if "extra ==" not in requirement:
                pending.append(_requirement_name(requirement) or "")
    return frozenset(seen - {""})


def _layer_contents(logical_id: str) -> tuple[set[str], set[str]]:
    """(distributions, source packages) of a layer: its requirements.txt with their dependencies,
    and the packages in its ContentUri, which ``sam build`` copies beside them."""
    content = ROOT / LAYERS[logical_id]["Properties"]["ContentUri"]
    distributions: set[str] = set()
    requirements = content / "requirements.txt"
    if requirements.is_file():
        for line in requirements.read_text().splitlines():
            name = _requirement_name(line)
            if name:
                distributions |= _with_dependencies(name)
    packages = {path.parent.name for path in content.glob("*/__init__.py")}
    return distributions, packages


def _attached_layers(resource: dict) -> list[str]:
    """Globals' layers and the function's own: SAM appends the two lists."""
    layers = TEMPLATE["Globals"]["Function"].get("Layers", []) + resource["Properties"].get("Layers", [])
    return [layer["Ref"] for layer in layers]


def _imported_distributions(handler_file: Path) -> dict[str, str]:
    """Top-level module -> distribution of every third-party module the handler's import loads."""
    result = subprocess.run(
        [sys.executable, "-c", _IMPORTED_TOP_LEVEL, str(handler_file)],
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    owners = metadata.packages_distributions()
    return {
        module: _canonical(owners[module][0])
        for module in json.loads(result.stdout)
        if module not in sys.stdlib_module_names and module not in OPTIONAL_IMPORTS and module in owners
    }


def test_the_layer_requirement_reader_sees_transitive_dependencies():
    assert {"pydantic", "pydantic-core"} <= _layer_contents("SharedLayer")[0]
    assert "botocore" in _with_dependencies("boto3")


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_every_module_a_function_imports_is_shipped_to_it(logical_id):
    resource = FUNCTIONS[logical_id]
    shipped: set[str] = set().union(*(_with_dependencies(name) for name in RUNTIME_PROVIDED))
    source_packages: set[str] = set()
    for layer in _attached_layers(resource):
        distributions, packages = _layer_contents(layer)
        shipped |= distributions
        source_packages |= packages

    imported = _imported_distributions(ROOT / resource["Properties"]["CodeUri"] / "app.py")
    missing = {
        module: distribution
        for module, distribution in imported.items()
        if distribution not in shipped and module not in source_packages
    }

    assert missing == {}, f"{logical_id} imports modules no attached layer ships: {missing}"
