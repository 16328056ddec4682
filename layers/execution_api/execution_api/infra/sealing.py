"""Decision links: CloudEvents sealed with AES-256-GCM.

A token is ``v1.<kid>.<base64url(nonce ‖ ciphertext)>``: the plaintext is a structured-JSON
CloudEvent (specversion 1.0) naming the execution (``subject``), the waiting step, the
recipient, an expiry and the decision; the version and key id are authenticated as associated
data. Keys come from a secret ``{"current": kid, kid: secret, ...}`` and are derived per key id
with HKDF, so rotating means adding a key id and pointing ``current`` at it: links minted
under older ids keep working while those ids stay in the secret.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Literal, cast

from cloudevents.core.exceptions import BaseCloudEventException
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from execution_api.models.errors import InvalidRequest

VERSION = "v1"
DECISION_EVENT_TYPE = "com.execution-api.decision"
Decision = Literal["approve", "deny"]
DECISIONS: tuple[Decision, ...] = ("approve", "deny")
_FIELD = "input"
_FORMAT = JSONFormat()


@dataclass(frozen=True)
class DecisionLink:
    nonce: str
    guid: str
    step: str
    recipient: str
    decision: Decision
    expires_at: datetime


def _key(keyring: dict[str, str], kid: str) -> bytes:
    secret = keyring.get(kid) if kid != "current" else None
    if not secret:
        raise InvalidRequest(f"{_FIELD}: the link was not issued by this service")
    return _derived_key(kid, secret)


@lru_cache(maxsize=16)
def _derived_key(kid: str, secret: str) -> bytes:
    """The AES key of ``kid``: derived once per container (a page of GET /signals seals hundreds)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"execution-api/signal/{kid}".encode())
    return hkdf.derive(secret.encode())


def seal(link: DecisionLink, keyring: dict[str, str], source: str) -> str:
    event = CloudEvent(
        {
            "id": link.nonce,
            "source": source,
            "type": DECISION_EVENT_TYPE,
            "subject": link.guid,
            "datacontenttype": "application/json",
            "expiry": link.expires_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "step": link.step,
            "recipient": link.recipient,
        },
        {"decision": link.decision},
    )
    kid = keyring["current"]
    nonce = os.urandom(12)
    associated = f"{VERSION}.{kid}".encode()
    sealed = AESGCM(_key(keyring, kid)).encrypt(nonce, _FORMAT.write(event), associated)
    return f"{VERSION}.{kid}.{_encode(nonce + sealed)}"


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def open_sealed(token: str, keyring: dict[str, str]) -> DecisionLink:
    """The link inside ``token``; any tampering, foreign key or malformed event is a 400."""
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != VERSION:
        raise InvalidRequest(f"{_FIELD}: not a decision link token")
    _, kid, body = parts
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as error:
        raise InvalidRequest(f"{_FIELD}: not a decision link token") from error
    if _encode(raw) != body:
        # Only the canonical encoding: the decoder would also take '+' for '-', '/' for '_' and
        # other values of a last character's unused bits, so one link would have many spellings.
        raise InvalidRequest(f"{_FIELD}: not a decision link token")
    if len(raw) < 12 + 16:
        raise InvalidRequest(f"{_FIELD}: not a decision link token")
    try:
        plaintext = AESGCM(_key(keyring, kid)).decrypt(raw[:12], raw[12:], f"{VERSION}.{kid}".encode())
    except InvalidTag as error:
        raise InvalidRequest(f"{_FIELD}: the link is invalid or has been tampered with") from error
    return _link_from_event(plaintext)


def _link_from_event(plaintext: bytes) -> DecisionLink:
    try:
        event = _FORMAT.read(CloudEvent, plaintext)
        attributes = event.get_attributes()
        data = event.get_data()
        decision = data.get("decision") if isinstance(data, dict) else None
        expiry = datetime.fromisoformat(str(attributes["expiry"]).replace("Z", "+00:00"))
        link = DecisionLink(
            nonce=str(attributes["id"]),
            guid=str(attributes["subject"]),
            step=str(attributes["step"]),
            recipient=str(attributes["recipient"]),
            decision=cast(Decision, str(decision)),
            expires_at=expiry,
        )
    except (BaseCloudEventException, KeyError, ValueError, TypeError) as error:
        raise InvalidRequest(f"{_FIELD}: the link does not carry a valid decision event") from error
    if attributes.get("type") != DECISION_EVENT_TYPE or link.decision not in DECISIONS:
        raise InvalidRequest(f"{_FIELD}: the link does not carry a valid decision event")
    return link
