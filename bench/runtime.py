"""The Python that Lambda runs the functions on (``Globals.Function.Runtime`` of the template),
with what Lambda would hold: boto3, as the runtime includes it, and every layer's requirements.
Cold start and the layer build are measured on it, not on the dev venv's Python: import time and
garbage collection differ between Python versions, and wheels are built per version."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.common import ROOT, load_template

VENV = ROOT / ".venv-runtime"
_STAMP = VENV / ".installed"


@dataclass(frozen=True)
class RuntimePython:
    executable: str
    version: str  # e.g. "3.13.0"
    deployed: bool  # False: the deployed version was not found, this is the dev venv's Python
    note: str


def deployed_version() -> str:
    """``python3.13`` in the template -> ``3.13``."""
    runtime = load_template()["Globals"]["Function"]["Runtime"]
    return runtime.removeprefix("python")


def layer_requirements() -> list[Path]:
    template = load_template()
    return sorted(
        ROOT / spec["Properties"]["ContentUri"] / "requirements.txt"
        for spec in template["Resources"].values()
        if spec["Type"] == "AWS::Serverless::LayerVersion"
        and (ROOT / spec["Properties"]["ContentUri"] / "requirements.txt").is_file()
    )


def _version_of(executable: str) -> str | None:
    try:
        proc = subprocess.run(
            [executable, "-c", "import platform; print(platform.python_version())"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except OSError:
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def _candidates(version: str) -> list[str]:
    """``$RUNTIME_PYTHON``, ``pythonX.Y`` on PATH, then a pyenv-installed X.Y."""
    found = [os.environ.get("RUNTIME_PYTHON", ""), shutil.which(f"python{version}") or ""]
    pyenv = shutil.which("pyenv")
    if pyenv:
        proc = subprocess.run([pyenv, "prefix", version], capture_output=True, text=True, timeout=30, check=False)
        if proc.returncode == 0:
            found.append(str(Path(proc.stdout.strip().splitlines()[-1]) / "bin" / f"python{version}"))
    return [candidate for candidate in found if candidate]


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
    for candidate in _candidates(version):
        found = _version_of(candidate)
        if found and found.startswith(version + "."):
            return RuntimePython(_ensure_venv(candidate), found, True, f"Python {found}, as deployed (python{version})")
    here = ".".join(map(str, sys.version_info[:3]))
    return RuntimePython(
        sys.executable,
        here,
        False,
        f"Python {here} (the dev venv): python{version}, as deployed, was not found; "
        f"set RUNTIME_PYTHON=/path/to/python{version}",
    )
