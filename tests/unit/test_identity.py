import pytest

from execution_api.api.identity import caller_from_claims
from execution_api.models.caller import Caller
from execution_api.models.errors import Unauthorized

ADMINS = "execution-admins"
CLAIM = "execution_api_groups"
ISSUER = "https://idp.example.com"


def caller(claims, trust_unverified_email=False):
    return caller_from_claims(claims, CLAIM, ADMINS, trust_unverified_email=trust_unverified_email)


def test_the_identity_is_the_issuer_and_the_subject_and_the_verified_email_is_for_people():
    alice = caller({"iss": ISSUER, "sub": "abc-123", "email": "Alice@Example.com", "email_verified": "true"})

    assert alice.identity == f"{ISSUER}#abc-123"
    assert (alice.email, alice.name) == ("Alice@Example.com", "Alice@Example.com")


@pytest.mark.parametrize("verified", [None, False, "false", "", "yes"])
def test_an_email_that_is_not_verified_does_not_count(verified):
    claims = {"iss": ISSUER, "sub": "abc-123", "email": "alice@example.com"}
    if verified is not None:
        claims["email_verified"] = verified

    unverified = caller(claims)

    assert unverified.email is None
    assert unverified.name == "abc-123"


def test_a_deployment_whose_provider_verifies_every_email_may_say_so():
    assert caller({"iss": ISSUER, "sub": "s", "email": "a@example.com"}, trust_unverified_email=True).email == (
        "a@example.com"
    )


@pytest.mark.parametrize(
    "claims",
    [
        None,
        {},
        {"iss": ISSUER},
        {"sub": "abc"},
        {"iss": "", "sub": "abc"},
        {"iss": ISSUER, "sub": "", "email": "a@b"},
        {"iss": ISSUER, "sub": "abc", "token_use": "access"},
    ],
)
def test_without_an_issuer_and_a_subject_there_is_no_caller(claims):
    with pytest.raises(Unauthorized):
        caller(claims)


def test_one_subject_of_two_issuers_is_two_people():
    assert (
        caller({"iss": ISSUER, "sub": "s"}).identity
        != caller({"iss": "https://other.example.com", "sub": "s"}).identity
    )


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
    claims = {"iss": ISSUER, "sub": "s", CLAIM: groups}

    assert caller(claims).is_admin is is_admin


def test_the_groups_claim_is_configurable():
    claims = {"iss": ISSUER, "sub": "s", "groups": [ADMINS], CLAIM: ["developers"]}

    assert caller_from_claims(claims, "groups", ADMINS).is_admin
    assert not caller_from_claims(claims, CLAIM, ADMINS).is_admin


def test_an_admin_may_access_every_owner_and_a_user_only_their_own():
    admin = Caller(f"{ISSUER}#root", is_admin=True)
    alice = Caller(f"{ISSUER}#alice")

    assert admin.may_access(f"{ISSUER}#bob")
    assert alice.may_access(f"{ISSUER}#alice")
    assert not alice.may_access(f"{ISSUER}#bob")


def test_one_person_under_any_spelling_of_their_verified_email_or_their_identity():
    alice = Caller(f"{ISSUER}#alice", email="alice@example.com")

    assert alice.is_person(f"{ISSUER}#alice", None)
    assert alice.is_person("https://other#alias", "ALICE@example.COM")
    assert not alice.is_person(f"{ISSUER}#bob", "bob@example.com")
    # A subject that happens to read like her email is not her.
    assert not alice.is_person(f"{ISSUER}#alice@example.com", None)
    assert not Caller(f"{ISSUER}#x").is_person(f"{ISSUER}#y", None)
