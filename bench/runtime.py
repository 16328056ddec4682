"""The Python that Lambda runs the functions on (``Globals.Function.Runtime`` of the template),
with what Lambda would hold: boto3, as the runtime includes it, and every layer's requirements
(found by ``toolkit.runtime``).
Cold start and the layer build are measured on it, not on the dev venv's Python: import time and
garbage collection differ between Python versions, and wheels are built per version."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from toolkit.runtime import deployed_version, find_runtime_python, not_found_reason
from toolkit.template import ROOT, load_template

VENV = ROOT / ".venv-runtime"
_STAMP = VENV / ".installed"


@dataclass(frozen=True)
class RuntimePython:
    executable: str
    version: str  # e.g. "3.13.0"
    deployed: bool  # False: the deployed version was not found, this is the dev venv's Python
    note: str


def layer_requirements() -> list[Path]:
    template = load_template()
    return sorted(
        ROOT / spec["Properties"]["ContentUri"] / "requirements.txt"
        for spec in template["Resources"].values()
        if spec["Type"] == "AWS::Serverless::LayerVersion"
        and (ROOT / spec["Properties"]["ContentUri"] / "requirements.txt").is_file()
    )


def _requirements_digest(base: str) -> str:
    digest = hashlib.sha256(base.encode())
    for path in layer_requirements():
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _ensure_venv(base: str) -> str:
    """``.venv-runtime`` built from ``base`` with boto3 and the layers' requirements, once."""
    python = str(VENV / "bin" / "python")
    wanted = _requirements_digest(base)
    if _STAMP.is_file() and _STAMP.read_text() == wanted:
        return python
    subprocess.run([base, "-m", "venv", "--clear", str(VENV)], check=True, timeout=300)
    requirements = [arg for path in layer_requirements() for arg in ("-r", str(path))]
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "boto3", *requirements],
        check=True,
        timeout=900,
    )
    _STAMP.write_text(wanted)
    return python


def runtime_python() -> RuntimePython:
    version = deployed_version()
    found = find_runtime_python(version)
    if found is not None:
        note = f"Python {found.version}, as deployed (python{version})"
        return RuntimePython(_ensure_venv(found.executable), found.version, True, note)
    here = ".".join(map(str, sys.version_info[:3]))
    return RuntimePython(sys.executable, here, False, f"Python {here} (the dev venv): {not_found_reason(version)}")
