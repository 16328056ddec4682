"""Secrets, read through Powertools Parameters (cached per container for ``max_age``)."""

from __future__ import annotations

from aws_lambda_powertools.utilities import parameters

from execution_api.infra.settings import get_settings


def cursor_signing_key() -> bytes:
    settings = get_settings()
    secret = parameters.get_secret(settings.cursor_secret_name, max_age=settings.secret_max_age_seconds)
    return secret.encode() if isinstance(secret, str) else bytes(secret)


def signal_keyring() -> dict[str, str]:
    """``{"current": "<kid>", "<kid>": "<secret>", ...}``: old key ids stay to open links in flight."""
    settings = get_settings()
    if not settings.signal_key_secret_name:
        raise RuntimeError("SIGNAL_KEY_SECRET_NAME is not configured")
    keyring = parameters.get_secret(
        settings.signal_key_secret_name, transform="json", max_age=settings.secret_max_age_seconds
    )
    return dict(keyring)
