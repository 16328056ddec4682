"""Signed-in sessions, one file per profile in ``$XDG_CACHE_HOME/execution-api/tokens/``, readable
by the user only (mode 0600, in a 0700 directory)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from execution_api_cli.config import Profile, cache_dir


@dataclass(frozen=True)
class Session:
    """What ``execapi login`` keeps: the ID token (the API's bearer) and how to renew it."""

    issuer: str
    client_id: str
    token_endpoint: str
    id_token: str
    refresh_token: str | None
    expires_at: float  # epoch seconds: the ID token's ``exp``


def session_path(profile_name: str) -> Path:
    return cache_dir() / "tokens" / f"{profile_name}.json"


def load_session(profile: Profile) -> Session | None:
    """The profile's session; ``None`` when there is none, or it is for another issuer or client."""
    try:
        stored = json.loads(session_path(profile.name).read_text(encoding="utf-8"))
        session = Session(**stored)
    except (OSError, ValueError, TypeError):
        return None
    if (session.issuer, session.client_id) != (profile.issuer, profile.client_id):
        return None
    return session


def save_session(profile_name: str, session: Session) -> Path:
    """Writes the session atomically; the file is created 0600, never readable by others even briefly."""
    path = session_path(profile_name)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    staged.unlink(missing_ok=True)  # left by a crashed run of the same pid: O_EXCL would refuse it
    descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(asdict(session), file)
    staged.replace(path)
    return path


def forget_session(profile_name: str) -> bool:
    """Deletes the profile's session; whether there was one."""
    try:
        session_path(profile_name).unlink()
    except FileNotFoundError:
        return False
    return True
