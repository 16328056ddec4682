"""``python -m toolkit.build [--if-runtime-found]``: ``sam build`` as a deployer runs it.

aws-sam-cli lives in its own virtualenv (``.venv-sam``, ``make build`` creates it), so that its
pins cannot fight the dev venv's. ``sam build`` looks for the runtime's ``python3.13`` on PATH
and builds without a container when it finds one: the Python :mod:`toolkit.runtime` finds is put
first on PATH under that name. ``samconfig.toml`` makes the build cached and parallel. The
result is ``.aws-sam/build``: one directory per function and per layer (``<Layer>/python/``).

With ``--if-runtime-found`` (``make test``), a machine without that Python is told so and the
build is skipped (exit 0); the build-import test then skips with the same reason.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from toolkit.runtime import RuntimePython, deployed_version, find_runtime_python, not_found_reason
from toolkit.template import ROOT

SAM = ROOT / ".venv-sam" / "bin" / "sam"
BUILD_DIR = ROOT / ".aws-sam" / "build"
_RUNTIME_BIN = ROOT / ".aws-sam" / "runtime-bin"
# No usage data sent and no check for a newer version: builds run offline but for PyPI.
SAM_ENVIRONMENT = {"SAM_CLI_TELEMETRY": "0", "SAM_CLI_DISABLE_VERSION_CHECK": "1", "AWS_DEFAULT_REGION": "us-east-1"}


def runtime_on_path(python: RuntimePython, version: str) -> dict[str, str]:
    """The environment for ``sam``: ``python<version>`` first on PATH, a link to ``python``
    (``$RUNTIME_PYTHON`` may have another name, and a pyenv shim of that name may not work)."""
    _RUNTIME_BIN.mkdir(parents=True, exist_ok=True)
    link = _RUNTIME_BIN / f"python{version}"
    link.unlink(missing_ok=True)
    link.symlink_to(python.executable)
    return {**os.environ, **SAM_ENVIRONMENT, "PATH": f"{_RUNTIME_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def sam_build(python: RuntimePython, version: str, *arguments: str) -> int:
    if not SAM.is_file():
        print(f"{SAM.relative_to(ROOT)} is missing: `make build` installs aws-sam-cli there", file=sys.stderr)
        return 1
    command = [str(SAM), "build", *arguments]
    print(f"{' '.join(command[1:])} with Python {python.version} ({python.executable})", flush=True)
    return subprocess.run(command, cwd=ROOT, env=runtime_on_path(python, version), check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m toolkit.build", description=__doc__.splitlines()[0])
    parser.add_argument("--if-runtime-found", action="store_true", help="skip (exit 0) without the runtime's Python")
    args, sam_arguments = parser.parse_known_args(argv)
    version = deployed_version()
    python = find_runtime_python(version)
    if python is None:
        outcome = "skipped" if args.if_runtime_found else "cannot run"
        print(f"sam build {outcome}: {not_found_reason(version)}", file=sys.stderr)
        return 0 if args.if_runtime_found else 1
    return sam_build(python, version, *sam_arguments)


if __name__ == "__main__":
    raise SystemExit(main())
