"""The local server end to end: HTTP in, the template's functions over the embedded AWS, HTTP out."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from local import auth
from local.openapi import DOCUMENT
from tests.e2e.conftest import (
    ApiClient,
    Reply,
    a_user,
    record_state,
    sfn_events,
    start,
    wait_for,
    wait_for_signal,
    wait_for_state,
)

pytestmark = pytest.mark.e2e


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _hs256_with_public_key(key_file: Path, claims: dict) -> str:
    """The key-confusion attack: HS256 keyed with the RSA public key."""
    key = auth.signing_key(key_file)
    public_pem = key.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": key.kid}).encode())
    payload = _b64(json.dumps(claims).encode())
    signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def _claims(user: str, issuer: str) -> dict:
    now = int(time.time())
    return {"sub": user, "email": user, "iss": issuer, "aud": auth.AUDIENCE, "iat": now, "exp": now + 600}


# -- the JWT authorizer ----------------------------------------------------------------------------


def test_a_request_without_a_token_is_refused_before_any_function(anonymous: Callable[..., ApiClient]) -> None:
    assert anonymous(None).get("/executions")[:2] == (401, {"message": "Unauthorized"})


def test_a_token_in_another_scheme_is_refused(anonymous: Callable[..., ApiClient], token_for: Callable) -> None:
    client = anonymous(None)
    reply = client.get("/executions", headers={"authorization": f"Basic {token_for(a_user())}"})
    assert reply[:2] == (401, {"message": "Unauthorized"})


BAD_TOKENS: dict[str, Callable[[Path, str], str]] = {
    "alg none": lambda key_file, issuer: jwt.encode(_claims(a_user(), issuer), None, algorithm="none"),
    "HS256 keyed with the public key": lambda key_file, issuer: _hs256_with_public_key(
        key_file, _claims(a_user(), issuer)
    ),
    "wrong issuer": lambda key_file, issuer: auth.mint(
        a_user(), key_file=key_file, issuer=issuer, extra_claims={"iss": "https://cognito-idp.example.com/other"}
    ),
    "wrong audience": lambda key_file, issuer: auth.mint(
        a_user(), key_file=key_file, issuer=issuer, extra_claims={"aud": "another-api"}
    ),
    "expired": lambda key_file, issuer: auth.mint(
        a_user(),
        key_file=key_file,
        issuer=issuer,
        extra_claims={"iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600},
    ),
    "not yet valid": lambda key_file, issuer: auth.mint(
        a_user(), key_file=key_file, issuer=issuer, extra_claims={"nbf": int(time.time()) + 3600}
    ),
    "signed by another key": lambda key_file, issuer: jwt.encode(
        _claims(a_user(), issuer),
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        algorithm="RS256",
        headers={"kid": auth.signing_key(key_file).kid},
    ),
    "garbage": lambda key_file, issuer: "not-a-jwt",
}


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_a_bad_token_is_refused(
    kind: str, anonymous: Callable[..., ApiClient], jwt_key_file: Path, local_issuer: str
) -> None:
    token = BAD_TOKENS[kind](jwt_key_file, local_issuer)
    assert anonymous(token).get("/executions")[:2] == (401, {"message": "Unauthorized"})


def test_a_token_from_local_token_is_accepted(api: Callable[..., ApiClient]) -> None:
    status, body, _ = api(a_user()).get("/executions")
    assert status == 200, body
    assert body["executions"] == []


# -- routing -----------------------------------------------------------------------------------------


def test_an_unknown_route_is_not_found(api: Callable[..., ApiClient]) -> None:
    assert api(a_user()).get("/nothing-here")[:2] == (404, {"message": "Not Found"})


def test_a_known_path_with_another_method_is_not_found_like_api_gateway(api: Callable[..., ApiClient]) -> None:
    assert api(a_user()).request("PATCH", "/executions")[:2] == (404, {"message": "Not Found"})


# -- executions --------------------------------------------------------------------------------------


def test_a_started_execution_is_listed_and_found_by_guid_and_by_arn(api: Callable[..., ApiClient]) -> None:
    alice = api(a_user())
    started = start(alice, "batch", {"items": ["a", "b"]})
    assert started["status"] == "running"
    guid, arn = started["run_id"], started["workflow_id"]

    status, listed, _ = alice.get("/executions")
    assert status == 200, listed
    assert [execution["guid"] for execution in listed["executions"]] == [guid]

    by_guid: Reply = alice.get(f"/executions/{guid}")
    by_arn: Reply = alice.get(f"/executions/{urllib.parse.quote(arn, safe='')}")
    assert by_guid.status == by_arn.status == 200
    assert by_guid.body["guid"] == by_arn.body["guid"] == guid
    assert by_arn.body["workflow_id"] == arn


def test_a_batch_that_succeeds_ends_finished(api: Callable[..., ApiClient]) -> None:
    alice = api(a_user())
    guid = start(alice, "batch", {"items": ["a"]})["run_id"]
    record = wait_for_state(alice, guid, "FINISHED", "ERROR", "TIMEOUT", "STOPPED", "TERMINATED")
    assert record["state"] == "FINISHED"
    assert record["status"] == "completed"
    assert record["stop_time"] is not None


def test_a_batch_with_a_failing_item_ends_in_error(api: Callable[..., ApiClient]) -> None:
    alice = api(a_user())
    guid = start(alice, "batch", {"items": ["fail"]})["run_id"]
    record = wait_for_state(alice, guid, "FINISHED", "ERROR", "TIMEOUT", "STOPPED", "TERMINATED")
    assert record["state"] == "ERROR"
    assert record["error"]["error"] == "ItemFailed"


def test_terminating_an_elevation_waiting_for_approval_aborts_it(api: Callable[..., ApiClient]) -> None:
    alice = api(a_user())
    elevation = {"role": "admin", "provider": "aws", "reason": "e2e"}
    guid = start(alice, "default", elevation)["run_id"]
    wait_for(lambda: "TaskSubmitted" in sfn_events(alice, guid))  # parked on the approval's task token

    status, body, _ = alice.post(f"/execution/{guid}/terminate")
    assert status == 200, body
    assert body == {"status": "ok", "message": "Workflow termination signal sent"}

    assert record_state(alice, guid) == "TERMINATED"
    events = wait_for(lambda: (events := sfn_events(alice, guid)) and events[-1] != "TaskSubmitted" and events)
    assert events[-1] == "ExecutionAborted"
    assert record_state(alice, guid) == "TERMINATED"


def test_another_users_execution_is_not_found(api: Callable[..., ApiClient]) -> None:
    alice, bob = api(a_user()), api(a_user())
    guid = start(alice, "batch", {"items": ["a"]})["run_id"]
    status, body, _ = bob.get(f"/executions/{guid}")
    assert status == 404, body
    assert body["statusCode"] == 404


def test_an_approved_elevation_is_granted_and_a_cancel_revokes_it(api: Callable[..., ApiClient]) -> None:
    """The stream emulation announces the decision, GET /signals gives the approver the link, the
    link resumes the workflow, and the grant finds the requester's locally provisioned IAM user."""
    alice, bob = api(a_user()), api(a_user(), ["security-approvers"])
    elevation = {"role": "developer", "provider": "aws", "reason": "e2e"}
    guid = start(alice, "default", elevation)["run_id"]

    approve_url = urllib.parse.urlsplit(wait_for_signal(bob, guid)["approve_url"])
    status, body, _ = bob.get(approve_url.path.removeprefix("/api/v1") + "?" + approve_url.query)
    assert status == 200, body
    assert body["outcome"] == "approved"

    wait_for(lambda: "HoldGrant" in json.dumps(alice.get(f"/execution/{guid}").body["history"]))
    assert "GrantFailed" not in json.dumps(alice.get(f"/execution/{guid}").body["history"])

    status, body, _ = alice.post(f"/execution/{guid}/cancel")
    assert status == 200, body
    assert record_state(alice, guid) == "STOPPED"
    events = wait_for(lambda: (events := sfn_events(alice, guid)) and events[-1].startswith("Execution") and events)
    assert events[-1] == "ExecutionFailed"  # ends as cancelled
    wait_for(lambda: alice.get(f"/executions/{guid}").body["grant"]["state"] == "revoked")


def test_serves_the_openapi_document_and_swagger_ui(local_server):
    origin = local_server.removesuffix("/api/v1")
    with urllib.request.urlopen(f"{local_server}/openapi.json", timeout=10) as response:
        served = json.loads(response.read())
    assert served == json.loads(DOCUMENT.read_text())
    with urllib.request.urlopen(f"{origin}/console/openapi.json", timeout=10) as response:
        assert json.loads(response.read()) == served
    with urllib.request.urlopen(f"{local_server}/docs", timeout=10) as response:  # redirected
        assert response.url == f"{origin}/console/docs/"
        page = response.read().decode()
    assert "swagger-ui-bundle.js" in page
    assert "<script>" not in page  # the initializer is a file: the CSP allows no inline script
    assert "default-src 'self'" in response.headers["content-security-policy"]
