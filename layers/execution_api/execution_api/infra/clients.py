"""AWS clients: created lazily, once per container, with bounded timeouts and standard retries."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=2,
    read_timeout=5,
)


@cache
def client(service: str) -> Any:
    return boto3.client(service, config=_CONFIG)


def dynamodb_client() -> Any:
    return client("dynamodb")


def stepfunctions_client() -> Any:
    return client("stepfunctions")
