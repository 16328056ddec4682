"""Configuration kept as data in the repository (``config/``): read once per container.

Deployed as the ConfigLayer, whose files Lambda mounts at ``/opt``; the local server and the tests
read the repository's ``config/``. ``<name>.toml`` is the base; ``stages/<stage>/<name>.toml``, if
present, is merged over it table by table (a value replaces, a table merges).
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from execution_api.infra.settings import get_settings
from execution_api.models.policy import RolesPolicy


def deep_merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def read_config(directory: Path, name: str, stage: str) -> dict[str, Any]:
    """``<directory>/<name>.toml`` with the stage's overrides merged in."""
    with (directory / f"{name}.toml").open("rb") as file:
        base = tomllib.load(file)
    stage_file = directory / "stages" / stage / f"{name}.toml"
    if not stage_file.exists():
        return base
    with stage_file.open("rb") as file:
        return deep_merge(base, tomllib.load(file))


@cache
def roles_policy() -> RolesPolicy:
    """The access-elevation policy of this stage (``config/roles.toml``), loaded once."""
    settings = get_settings()
    return RolesPolicy.model_validate(read_config(settings.config_dir, "roles", settings.stage))
