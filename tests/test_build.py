"""What ``sam build`` ships is enough to run each function: its built code, the built layers the
template attaches to it and boto3 (which the Lambda runtime provides) import its handler on the
runtime's Python, with nothing else on the path. The dev venv holds everything, so a module that
no attached layer ships would otherwise show only in AWS.

``make test`` builds first (``python -m toolkit.build``); ``make build`` builds alone. Where the
runtime's Python is missing, this module is skipped with the reason (and so was the build)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from toolkit.build import BUILD_DIR
from toolkit.runtime import find_runtime_python, not_found_reason
from toolkit.template import FUNCTION, ROOT, attached_layers, function_property, load_template, resources_of_type

TEMPLATE = load_template()
FUNCTIONS = resources_of_type(TEMPLATE, FUNCTION)
LAYERS = resources_of_type(TEMPLATE, "AWS::Serverless::LayerVersion")
# Layers of Python code, which sam build builds (BuildMethod); the others (the policy's files) are
# packaged from their ContentUri as they are.
CODE_LAYERS = {name for name, spec in LAYERS.items() if spec.get("Metadata", {}).get("BuildMethod")}
RUNTIME = find_runtime_python()
# boto3 and its dependencies alone, for the runtime's Python: what Lambda's runtime adds.
RUNTIME_PACKAGES = ROOT / ".aws-sam" / "lambda-runtime"

pytestmark = pytest.mark.skipif(RUNTIME is None, reason=not_found_reason())

# -I: no PYTHON* variables, no user site; -S: not even the runtime Python's own site-packages.
_IMPORT_HANDLER = """
import importlib, json, sys
module_name, attribute, path = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
sys.path[:0] = path
handler = getattr(importlib.import_module(module_name), attribute)
print(json.dumps({"callable": callable(handler), "path": [entry for entry in sys.path if entry]}))
"""


@pytest.fixture(scope="module")
def runtime_packages() -> Path:
    """boto3 installed with the runtime's Python into a directory of its own, once per version."""
    assert RUNTIME is not None
    target = RUNTIME_PACKAGES / RUNTIME.version
    stamp = target / ".installed"
    if not stamp.is_file():
        pip = [RUNTIME.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run(
            [*pip, "--target", str(target), "boto3"],
            check=True,
            timeout=600,
        )
        stamp.write_text(RUNTIME.version)
    return target


def _built(logical_id: str) -> Path:
    built = BUILD_DIR / logical_id
    assert built.is_dir(), f"{built.relative_to(ROOT)} is missing: run `make build` (make test runs it)"
    return built


def test_every_function_and_layer_of_the_template_was_built():
    built = load_template(BUILD_DIR / "template.yaml")

    assert set(resources_of_type(built, FUNCTION)) == set(FUNCTIONS)
    assert set(resources_of_type(built, "AWS::Serverless::LayerVersion")) == set(LAYERS)
    assert all(_built(layer).is_dir() for layer in CODE_LAYERS)


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_the_built_function_imports_with_only_its_layers_and_the_runtime(logical_id, runtime_packages):
    assert RUNTIME is not None
    module_path, _, attribute = str(function_property(TEMPLATE, logical_id, "Handler")).rpartition(".")
    path = [
        str(_built(logical_id)),
        *(str(_built(layer) / "python") for layer in attached_layers(TEMPLATE, logical_id) if layer in CODE_LAYERS),
        str(runtime_packages),
    ]

    result = subprocess.run(
        [RUNTIME.executable, "-I", "-S", "-c", _IMPORT_HANDLER, module_path, attribute, json.dumps(path)],
        env={"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "LANG": "C.UTF-8"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, f"{logical_id} does not import from its build:\n{result.stderr[-3000:]}"
    imported = json.loads(result.stdout)
    assert imported["callable"]
    outside = [entry for entry in imported["path"] if not entry.startswith(str(Path(RUNTIME.executable).parents[1]))]
    assert outside == path, "something besides the build, the layers and boto3 was on the path"
