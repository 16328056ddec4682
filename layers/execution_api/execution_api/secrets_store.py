"""Secrets, read through Powertools Parameters (cached per container for ``max_age``)."""

from __future__ import annotations

from aws_lambda_powertools.utilities import parameters

from execution_api.settings import get_settings


def cursor_signing_key() -> bytes:
    settings = get_settings()
    secret = parameters.get_secret(settings.cursor_secret_name, max_age=settings.secret_max_age_seconds)
    return secret.encode() if isinstance(secret, str) else bytes(secret)
