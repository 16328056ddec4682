import pytest

from execution_api.dal.cursor import decode_cursor, encode_cursor
from execution_api.models.errors import InvalidRequest

SECRET = b"k" * 64
KEY = {
    "pk": {"S": "EXEC#3f2b8c1e-9d4a-4e6f-8b7c-1a2b3c4d5e6f"},
    "sk": {"S": "RECORD"},
    "owner": {"S": "alice@example.com"},
    "start_key": {"S": "2024-01-15T10:30:00.000Z#3f2b8c1e-9d4a-4e6f-8b7c-1a2b3c4d5e6f"},
}


@pytest.fixture
def token():
    return encode_cursor(KEY, "alice@example.com", "filters-a", SECRET)


def test_a_cursor_gives_back_the_key_it_was_made_from(token):
    assert decode_cursor(token, "alice@example.com", "filters-a", SECRET) == KEY


def test_a_cursor_is_url_safe_and_opaque(token):
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert "alice" not in token


def _flip(text: str, index: int) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]


@pytest.mark.parametrize("where", ["payload", "mac"])
def test_a_tampered_cursor_is_refused(token, where):
    payload, mac = token.split(".")
    tampered = f"{_flip(payload, 5)}.{mac}" if where == "payload" else f"{payload}.{_flip(mac, 5)}"

    with pytest.raises(InvalidRequest) as raised:
        decode_cursor(tampered, "alice@example.com", "filters-a", SECRET)

    assert raised.value.message.startswith("next_token:")


@pytest.mark.parametrize(
    ("owner", "fingerprint", "secret"),
    [
        ("bob@example.com", "filters-a", SECRET),
        ("alice@example.com", "filters-b", SECRET),
        ("alice@example.com", "filters-a", b"another deployment's key"),
    ],
    ids=["other owner", "other filters", "other key"],
)
def test_a_cursor_only_works_for_its_owner_filters_and_key(token, owner, fingerprint, secret):
    with pytest.raises(InvalidRequest) as raised:
        decode_cursor(token, owner, fingerprint, secret)

    assert raised.value.message.startswith("next_token:")


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "%%%.%%%", "eyJhIjoxfQ"])
def test_garbage_is_refused_as_a_malformed_cursor(garbage):
    with pytest.raises(InvalidRequest) as raised:
        decode_cursor(garbage, "alice@example.com", "filters-a", SECRET)

    assert raised.value.message.startswith("next_token:")


def test_a_signed_payload_that_is_not_a_key_is_refused():
    token = encode_cursor(["not", "a", "key"], "alice@example.com", "filters-a", SECRET)  # type: ignore[arg-type]

    with pytest.raises(InvalidRequest):
        decode_cursor(token, "alice@example.com", "filters-a", SECRET)
