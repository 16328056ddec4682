"""The Python of the Lambda runtime (``Globals.Function.Runtime`` of the template, e.g.
``python3.13``), found on this machine: ``$RUNTIME_PYTHON``, ``pythonX.Y`` on PATH, or a pyenv
X.Y, the first that runs and says it is X.Y (a pyenv shim on PATH may not).

``sam build`` builds with it, the build-import test imports the built functions with it, and the
bench measures cold starts on it."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from toolkit.template import function_globals, load_template

RUNTIME_PYTHON_ENV = "RUNTIME_PYTHON"


@dataclass(frozen=True)
class RuntimePython:
    executable: str
    version: str  # e.g. "3.13.0"


def deployed_version() -> str:
    """``python3.13`` in the template -> ``3.13``."""
    return str(function_globals(load_template())["Runtime"]).removeprefix("python")


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
    found = [os.environ.get(RUNTIME_PYTHON_ENV, ""), shutil.which(f"python{version}") or ""]
    pyenv = shutil.which("pyenv")
    if pyenv:
        proc = subprocess.run([pyenv, "prefix", version], capture_output=True, text=True, timeout=30, check=False)
        if proc.returncode == 0:
            found.append(str(Path(proc.stdout.strip().splitlines()[-1]) / "bin" / f"python{version}"))
    return [candidate for candidate in found if candidate]


def find_runtime_python(version: str | None = None) -> RuntimePython | None:
    """The deployed runtime's Python, or None when this machine has none."""
    version = version or deployed_version()
    for candidate in _candidates(version):
        found = _version_of(candidate)
        if found and found.startswith(version + "."):
            return RuntimePython(str(Path(candidate).resolve()), found)
    return None


def not_found_reason(version: str | None = None) -> str:
    version = version or deployed_version()
    return (
        f"python{version} (the functions' Lambda runtime) was not found: not ${RUNTIME_PYTHON_ENV}, not a working "
        f"python{version} on PATH, not a pyenv {version}; set {RUNTIME_PYTHON_ENV}=/path/to/python{version}"
    )
