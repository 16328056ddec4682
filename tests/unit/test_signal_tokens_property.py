"""Property: a sealed decision link survives no change at all. Flipping any bit of any byte of
the sealed payload, or replacing any character of the token with any other, is refused by
``open_sealed`` with ``InvalidRequest`` (a 400), never accepted and never another error."""

from __future__ import annotations

import base64
import string
from datetime import UTC, datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from execution_api.infra.sealing import DecisionLink, open_sealed, seal
from execution_api.models.errors import InvalidRequest

KEYRING = {"current": "k1", "k1": "property-test-secret"}
LINK = DecisionLink(
    nonce="0b6f1c1e-6a57-4d6e-9a55-4bd0a3a0f8a1",
    guid="3f0c2b8e-2a7c-4f21-9f0e-8a3f1d2c4b5a",
    step="approval",
    recipient="bob@example.com",
    decision="approve",
    expires_at=datetime(2099, 1, 1, tzinfo=UTC),
)
TOKEN = seal(LINK, KEYRING, "urn:execution-api:test")
VERSION, KID, BODY = TOKEN.split(".")
RAW = base64.urlsafe_b64decode(BODY + "=" * (-len(BODY) % 4))
PROPERTY = settings(max_examples=200, deadline=None)
# What a tamperer would try: the token's own alphabet, the decoder's look-alikes for it ('+' for
# '-', '/' for '_'), padding, the separator, whitespace; and now and then any character at all.
TOKEN_LIKE = st.sampled_from(string.ascii_letters + string.digits + "-_+/=. \n%")
REPLACEMENTS = st.one_of(TOKEN_LIKE, st.characters(codec="utf-8"))


def test_the_untouched_token_opens() -> None:
    assert open_sealed(TOKEN, KEYRING) == LINK


@PROPERTY
@given(index=st.integers(0, len(RAW) - 1), mask=st.integers(1, 255))
def test_flipping_any_byte_of_the_sealed_payload_is_refused(index: int, mask: int) -> None:
    flipped = bytearray(RAW)
    flipped[index] ^= mask
    body = base64.urlsafe_b64encode(bytes(flipped)).rstrip(b"=").decode()
    with pytest.raises(InvalidRequest):
        open_sealed(f"{VERSION}.{KID}.{body}", KEYRING)


@PROPERTY
@given(index=st.integers(0, len(TOKEN) - 1), replacement=REPLACEMENTS)
@example(index=len(TOKEN) - 1, replacement="A")  # the last character's unused low bits
@example(index=len(TOKEN) - 1, replacement="w")
@example(index=TOKEN.rfind("-") if "-" in BODY else len(TOKEN) - 1, replacement="+")
@example(index=TOKEN.rfind("_") if "_" in BODY else len(TOKEN) - 1, replacement="/")
def test_replacing_any_character_of_the_token_is_refused(index: int, replacement: str) -> None:
    if replacement == TOKEN[index]:
        replacement = "A" if TOKEN[index] != "A" else "B"
    tampered = TOKEN[:index] + replacement + TOKEN[index + 1 :]
    with pytest.raises(InvalidRequest):
        open_sealed(tampered, KEYRING)


@PROPERTY
@given(replacement=TOKEN_LIKE)
def test_any_other_last_character_is_refused(replacement: str) -> None:
    """The last character holds fewer bits than it spells; none of its other spellings open."""
    if replacement == TOKEN[-1]:
        return
    with pytest.raises(InvalidRequest):
        open_sealed(TOKEN[:-1] + replacement, KEYRING)
