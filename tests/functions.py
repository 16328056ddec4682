"""The Lambda functions under ``functions/``, loaded by path: every one is an ``app.py``."""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"


@cache
def function_module(name: str) -> ModuleType:
    """``functions/<name>/app.py`` as a module of its own (``functions.<name>.app``)."""
    path = FUNCTIONS_DIR / name / "app.py"
    spec = importlib.util.spec_from_file_location(f"functions.{name}.app", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class HttpReply:
    status: int
    body: Any
    headers: dict[str, str]


def as_http_reply(response: dict[str, Any]) -> HttpReply:
    body = response.get("body")
    return HttpReply(
        status=response["statusCode"],
        body=json.loads(body) if body else None,
        headers={key.lower(): value for key, value in (response.get("headers") or {}).items()},
    )
