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


class ConfigFileError(ValueError):
    """A configuration file that does not parse; the message names the file and the line."""


def deep_merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except tomllib.TOMLDecodeError as error:
        # e.g. a table declared twice: "Cannot declare ('workflows', 'report') twice (at line 40, column 19)"
        raise ConfigFileError(f"{path}: {error}") from None


def read_config(directory: Path, name: str, stage: str) -> dict[str, Any]:
    """``<directory>/<name>.toml`` with the stage's overrides merged in."""
    base = _load_toml(directory / f"{name}.toml")
    stage_file = directory / "stages" / stage / f"{name}.toml"
    if not stage_file.exists():
        return base
    return deep_merge(base, _load_toml(stage_file))


@cache
def roles_policy() -> RolesPolicy:
    """The access-elevation policy of this stage (``config/roles.toml``), loaded once."""
    settings = get_settings()
    return RolesPolicy.model_validate(read_config(settings.config_dir, "roles", settings.stage))
