"""The local identity provider: one RSA key that signs tokens (``local.token``) and verifies
them (the server's JWT authorizer emulation).

The key is generated on first use and kept in ``.local/jwt-signing-key.pem`` at the repository
root (gitignored), or in the file named by ``$LOCAL_JWT_KEY_FILE``. Importing this module is
cheap: no AWS SDK, no moto.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import tempfile
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_KEY_FILE = ROOT / ".local" / "jwt-signing-key.pem"
KEY_FILE_ENV = "LOCAL_JWT_KEY_FILE"
TOKEN_TTL_ENV = "LOCAL_TOKEN_TTL_SECONDS"  # noqa: S105 - a variable name
# The template's JwtIssuer / JwtAudience parameters have no default: locally the issuer is the
# server's own identity provider (``local.oidc``) at ``<origin>/local-idp``, and these audiences:
# ``make token``'s, the console's client id and the CLI's.
ISSUER_PATH = "/local-idp"
DEFAULT_ISSUER = "http://127.0.0.1:8080" + ISSUER_PATH
AUDIENCE = "execution-api"
CONSOLE_CLIENT_ID = "execution-api-console"
CLI_CLIENT_ID = "execution-api-cli"
AUDIENCES = (AUDIENCE, CONSOLE_CLIENT_ID, CLI_CLIENT_ID)
# Group membership: one string claim holding a JSON array (the template's GroupsClaim default).
GROUPS_CLAIM = "execution_api_groups"
ALGORITHM = "RS256"
DEFAULT_TTL_SECONDS = 12 * 3600
_SUB_NAMESPACE = uuid.UUID("6f1c7a4e-2b8d-4c3e-9a51-0d2e7b9c4f10")


def template_parameters(issuer: str) -> dict[str, Any]:
    """The template's parameters for the local identity provider instead of a Cognito user pool:
    its issuer, audiences and app clients."""
    return {
        "CreateUserPool": "false",
        "JwtIssuer": issuer,
        "JwtAudience": list(AUDIENCES),
        "ConsoleClientId": CONSOLE_CLIENT_ID,
        "CliClientId": CLI_CLIENT_ID,
    }


def token_ttl_seconds() -> int:
    """Lifetime of the ID tokens the sign-in endpoints issue (``$LOCAL_TOKEN_TTL_SECONDS``)."""
    return int(os.environ.get(TOKEN_TTL_ENV) or 3600)


def subject_of(email: str) -> str:
    """A stable ``sub`` per person, as an identity provider with case-insensitive sign-in gives:
    ``Alice@example.com`` and ``alice@example.com`` are one account."""
    return str(uuid.uuid5(_SUB_NAMESPACE, email.strip().casefold()))


def key_file_path(key_file: str | os.PathLike[str] | None = None) -> Path:
    if key_file is not None:
        return Path(key_file)
    configured = os.environ.get(KEY_FILE_ENV)
    return Path(configured) if configured else DEFAULT_KEY_FILE


@dataclass(frozen=True)
class SigningKey:
    private_key: rsa.RSAPrivateKey
    kid: str

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.private_key.public_key()


def _kid(public_key: rsa.RSAPublicKey) -> str:
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()[:12]).decode().rstrip("=")


def _create(path: Path) -> None:
    """Writes a new key to ``path`` unless one appears meanwhile (creation is atomic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".jwt-key-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(pem)
        os.chmod(temporary, 0o600)
        with contextlib.suppress(FileExistsError):  # another process created the key first
            os.link(temporary, path)
    finally:
        os.unlink(temporary)


@lru_cache(maxsize=8)
def _load(path: Path, mtime_ns: int) -> SigningKey:
    private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise ValueError(f"{path} does not hold an RSA private key")
    return SigningKey(private_key, _kid(private_key.public_key()))


def signing_key(key_file: str | os.PathLike[str] | None = None) -> SigningKey:
    """The local signing key, created on first use."""
    path = key_file_path(key_file)
    if not path.exists():
        _create(path)
    return _load(path, path.stat().st_mtime_ns)


def mint(
    user: str,
    groups: list[str] | None = None,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    key_file: str | os.PathLike[str] | None = None,
    extra_claims: dict[str, Any] | None = None,
    *,
    issuer: str = DEFAULT_ISSUER,
    audience: str = AUDIENCE,
    email_verified: bool = True,
    sub: str | None = None,
) -> str:
    """An ID token for ``user`` that the local server accepts.

    ``user`` is an email (then ``sub`` is derived from it and ``email`` set) or, without ``@``,
    the ``sub`` itself (no email). Groups go into ``GROUPS_CLAIM`` as a JSON array in a string:
    HTTP API flattens array claims to ``[a b]``, which group names with spaces could spoof.
    """
    key = signing_key(key_file)
    now = int(time.time())
    claims: dict[str, Any] = {"iss": issuer, "aud": audience, "iat": now, "auth_time": now, "exp": now + ttl_seconds}
    if "@" in user:
        claims |= {"sub": sub or subject_of(user), "email": user, "email_verified": email_verified}
    else:
        claims["sub"] = sub or user
    if groups:
        claims[GROUPS_CLAIM] = json.dumps(list(groups))
    claims.update(extra_claims or {})
    return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})


def public_jwk(key_file: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The signing key as a JWK, for ``<issuer>/jwks.json``."""
    key = signing_key(key_file)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key))
    return {**jwk, "kid": key.kid, "use": "sig", "alg": ALGORITHM}


class InvalidToken(Exception):
    """Why a token was refused (never includes the token itself)."""


def verify(token: str, issuer: str, audiences: list[str], key_file: str | os.PathLike[str] | None = None) -> dict:
    """The claims of ``token`` if API Gateway's JWT authorizer would accept it.

    RS256 only, ``kid`` of the local key, signature, ``iss``, ``aud`` (any of ``audiences``),
    ``exp`` (required), ``nbf`` and ``iat``.
    """
    key = signing_key(key_file)
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise InvalidToken("malformed token") from error
    if header.get("alg") != ALGORITHM:
        raise InvalidToken("unsupported algorithm")
    if header.get("kid") != key.kid:
        raise InvalidToken("unknown key id")
    try:
        return jwt.decode(
            token,
            key.public_key,
            algorithms=[ALGORITHM],
            audience=audiences,
            issuer=issuer,
            options={"require": ["exp", "iss"]},
        )
    except jwt.ExpiredSignatureError as error:
        raise InvalidToken("the token has expired") from error
    except jwt.PyJWTError as error:
        raise InvalidToken(f"invalid token: {type(error).__name__}") from error
