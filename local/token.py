"""Prints an ID token the local server accepts (``make token``).

    python -m local.token --user alice@example.com [--groups security-approvers] [--unverified]
                          [--issuer http://127.0.0.1:8080/local-idp] [--ttl 3600]

Claims: ``sub`` (derived from the email, the same for any spelling of it; or the user itself
when it has no ``@``), ``email`` and ``email_verified``, ``execution_api_groups`` (a JSON array
in a string, when groups are given), ``iss``, ``aud``, ``iat``, ``exp``. Signed RS256 with the
key in ``.local/jwt-signing-key.pem`` (``$LOCAL_JWT_KEY_FILE`` overrides), created on first use.
The console and the CLI sign in through the server's own OpenID Connect endpoints instead.
"""

from __future__ import annotations

import argparse
import os
import sys

from local.auth import DEFAULT_ISSUER, DEFAULT_TTL_SECONDS, mint


def mint_token(
    user: str,
    groups: list[str] | None = None,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    key_file: str | os.PathLike[str] | None = None,
    *,
    issuer: str = DEFAULT_ISSUER,
    email_verified: bool = True,
) -> str:
    """A bearer token for ``user`` (the function behind ``python -m local.token``)."""
    return mint(
        user, groups=groups, ttl_seconds=ttl_seconds, key_file=key_file, issuer=issuer, email_verified=email_verified
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.token", description=__doc__.splitlines()[0])
    parser.add_argument("--user", required=True, help="an email (or, without '@', a bare subject with no email)")
    parser.add_argument("--groups", default="", help="comma-separated groups for the execution_api_groups claim")
    parser.add_argument("--unverified", action="store_true", help="email_verified: false")
    parser.add_argument("--issuer", default=DEFAULT_ISSUER, help=f"the server's issuer (default {DEFAULT_ISSUER})")
    parser.add_argument("--ttl", type=int, default=DEFAULT_TTL_SECONDS, help="lifetime in seconds (default 12h)")
    args = parser.parse_args(argv)
    if not args.user.strip():
        parser.error("--user must not be empty")
    if args.ttl <= 0:
        parser.error("--ttl must be positive")
    groups = [group.strip() for group in args.groups.split(",") if group.strip()]
    token = mint_token(
        args.user.strip(), groups or None, args.ttl, issuer=args.issuer, email_verified=not args.unverified
    )
    sys.stdout.write(token + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
