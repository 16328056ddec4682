"""Opaque, tamper-proof ``next_token`` cursors.

A cursor is the DynamoDB key to go on from, bound to the caller and the exact filter it was
issued for, and signed with HMAC-SHA256 (stdlib: no heavy import in the list function). A
forged, altered or someone else's cursor fails verification and is a 400.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from execution_api.models.errors import InvalidRequest

_FIELD = "next_token"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _binding(owner: str, filter_fingerprint: str) -> bytes:
    return json.dumps([owner, filter_fingerprint]).encode()


def encode_cursor(key: dict[str, Any], owner: str, filter_fingerprint: str, secret: bytes) -> str:
    payload = json.dumps(key, separators=(",", ":"), sort_keys=True).encode()
    mac = hmac.new(secret, _binding(owner, filter_fingerprint) + b"\0" + payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}"


def decode_cursor(token: str, owner: str, filter_fingerprint: str, secret: bytes) -> dict[str, Any]:
    try:
        payload_text, mac_text = token.split(".")
        payload, mac = _unb64(payload_text), _unb64(mac_text)
    except ValueError as error:
        raise InvalidRequest(f"{_FIELD}: malformed cursor") from error
    expected = hmac.new(secret, _binding(owner, filter_fingerprint) + b"\0" + payload, hashlib.sha256).digest()
    if not hmac.compare_digest(mac, expected):
        raise InvalidRequest(f"{_FIELD}: not a cursor issued for this caller and these filters")
    key = json.loads(payload)
    if not isinstance(key, dict):
        raise InvalidRequest(f"{_FIELD}: malformed cursor")
    return key
