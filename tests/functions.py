"""What an HTTP function returned, as a test reads it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


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
