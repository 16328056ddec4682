import pytest

from execution_api.api.identity import caller_from_claims
from execution_api.models.caller import Caller
from execution_api.models.errors import Unauthorized

ADMINS = "execution-admins"


def test_the_identity_is_the_email_claim():
    caller = caller_from_claims({"email": "alice@example.com", "sub": "abc-123"}, "execution_api_groups", ADMINS)

    assert caller == Caller(identity="alice@example.com", is_admin=False)


def test_without_an_email_the_identity_is_the_subject():
    assert caller_from_claims({"sub": "abc-123", "email": ""}, "execution_api_groups", ADMINS).identity == "abc-123"


@pytest.mark.parametrize("claims", [None, {}, {"email": "", "sub": ""}, {"iss": "https://issuer", "aud": "x"}])
def test_no_identity_is_unauthorized(claims):
    with pytest.raises(Unauthorized):
        caller_from_claims(claims, "execution_api_groups", ADMINS)


@pytest.mark.parametrize(
    ("groups", "is_admin"),
    [
        (["developers", ADMINS], True),
        ([ADMINS], True),
        (["developers"], False),
        ([], False),
        (f'["developers", "{ADMINS}"]', True),
        (f'["{ADMINS}"]', True),
        ('["execution-admins-readonly"]', False),
        ("[]", False),
        (None, False),
        (42, False),
        # HTTP API's flattening of an array claim, and names built to spoof a split on it: no groups.
        (f"[developers {ADMINS}]", False),
        (f"[{ADMINS}]", False),
        (f"{ADMINS},ops", False),
        (ADMINS, False),
        (f'["x,{ADMINS}"]', False),
        (f'["Not {ADMINS}"]', False),
        (f'["[{ADMINS}]"]', False),
        ('{"a": 1}', False),
        (f'[1, "{ADMINS}"]', False),
    ],
)
def test_the_admin_group_is_read_from_a_json_array_claim_and_cannot_be_spoofed(groups, is_admin):
    claims = {"email": "alice@example.com", "execution_api_groups": groups}

    assert caller_from_claims(claims, "execution_api_groups", ADMINS).is_admin is is_admin


def test_the_groups_claim_is_configurable():
    claims = {"email": "alice@example.com", "groups": [ADMINS], "execution_api_groups": ["developers"]}

    assert caller_from_claims(claims, "groups", ADMINS).is_admin
    assert not caller_from_claims(claims, "execution_api_groups", ADMINS).is_admin


def test_an_admin_may_access_every_owner_and_a_user_only_their_own():
    admin = Caller("root@example.com", is_admin=True)
    alice = Caller("alice@example.com")

    assert admin.may_access("bob@example.com")
    assert alice.may_access("alice@example.com")
    assert not alice.may_access("bob@example.com")
