"""Profiles, one per environment, in ``$XDG_CONFIG_HOME/execution-api/config.toml``::

    [profiles.default]
    base_url = "http://127.0.0.1:8080/api/v1"
    issuer = "http://127.0.0.1:8080/local-idp"
    client_id = "execution-api-cli"        # optional
    redirect_port = 53682                  # optional: the loopback port of `execapi login`
    console_url = "https://.../console"    # optional: print each execution's console page

Without a ``default`` profile in the file, ``default`` is the local server of ``make run``.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from execution_api_cli.errors import CliError

APP_DIR = "execution-api"
DEFAULT_PROFILE = "default"
DEFAULT_CLIENT_ID = "execution-api-cli"
DEFAULT_REDIRECT_PORT = 53682
LOCAL_ORIGIN = "http://127.0.0.1:8080"
_PROFILE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class Profile:
    name: str
    base_url: str
    issuer: str | None = None
    client_id: str = DEFAULT_CLIENT_ID
    redirect_port: int = DEFAULT_REDIRECT_PORT
    console_url: str | None = None

    def console_link(self, guid: str) -> str | None:
        """The execution's page in the web console, when this profile names the console."""
        if not self.console_url:
            return None
        return f"{self.console_url.rstrip('/')}/executions/{quote(guid, safe='')}"


def local_profile(name: str = DEFAULT_PROFILE) -> Profile:
    """The local server of ``make run`` and its development identity provider."""
    return Profile(name, f"{LOCAL_ORIGIN}/api/v1", issuer=f"{LOCAL_ORIGIN}/local-idp")


def _xdg_dir(variable: str, fallback: str) -> Path:
    configured = os.environ.get(variable)
    return Path(configured) if configured else Path.home() / fallback


def config_path(explicit: str | None = None) -> Path:
    return Path(explicit) if explicit else _xdg_dir("XDG_CONFIG_HOME", ".config") / APP_DIR / "config.toml"


def cache_dir() -> Path:
    return _xdg_dir("XDG_CACHE_HOME", ".cache") / APP_DIR


def check_profile_name(name: str) -> str:
    if not _PROFILE_NAME.match(name):
        raise CliError(f"profile name {name!r}: use letters, digits, '-' and '_' (at most 64)")
    return name


def check_url(value: str, field: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CliError(f"{field}: must be an http(s) URL, got {value!r}")
    return value.rstrip("/")


def _profile_from(name: str, entry: Any, path: Path) -> Profile:
    where = f"{path}: profiles.{name}"
    if not isinstance(entry, dict):
        raise CliError(f"{where}: must be a table")
    known = {field.name for field in fields(Profile)} - {"name"}
    unknown = sorted(set(entry) - known)
    if unknown:
        raise CliError(f"{where}.{unknown[0]}: unknown setting (known: {', '.join(sorted(known))})")
    if "base_url" not in entry:
        raise CliError(f"{where}.base_url: required")
    for key in ("base_url", "issuer", "client_id", "console_url"):
        if key in entry and not isinstance(entry[key], str):
            raise CliError(f"{where}.{key}: must be a string")
    port = entry.get("redirect_port", DEFAULT_REDIRECT_PORT)
    if not isinstance(port, int) or not 0 < port < 65536:
        raise CliError(f"{where}.redirect_port: must be a port number")
    return Profile(
        name=name,
        base_url=check_url(entry["base_url"], f"{where}.base_url"),
        issuer=check_url(entry["issuer"], f"{where}.issuer") if "issuer" in entry else None,
        client_id=entry.get("client_id", DEFAULT_CLIENT_ID),
        redirect_port=port,
        console_url=check_url(entry["console_url"], f"{where}.console_url") if "console_url" in entry else None,
    )


def load_profiles(path: Path) -> dict[str, Profile]:
    """The file's profiles (none when the file does not exist)."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise CliError(f"{path}: cannot read the configuration: {error}") from error
    profiles = document.get("profiles", {})
    if not isinstance(profiles, dict):
        raise CliError(f"{path}: profiles must be a table of [profiles.<name>] sections")
    return {name: _profile_from(check_profile_name(name), entry, path) for name, entry in profiles.items()}


def find_profile(path: Path, name: str) -> Profile | None:
    profiles = load_profiles(path)
    if name in profiles:
        return profiles[name]
    return local_profile() if name == DEFAULT_PROFILE else None


def _toml_table(profile: Profile) -> str:
    lines = [f"[profiles.{profile.name}]"]
    for key, value in asdict(profile).items():
        if key == "name" or value is None:
            continue
        lines.append(f"{key} = {value if isinstance(value, int) else json.dumps(value)}")
    return "\n".join(lines) + "\n"


def write_profiles(path: Path, profiles: dict[str, Profile]) -> None:
    """Rewrites the file with these profiles (comments in it are not kept)."""
    text = "\n".join(_toml_table(profile) for profile in profiles.values())
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(path.name + ".tmp")
    staged.write_text(text, encoding="utf-8")
    staged.replace(path)
