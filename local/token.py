"""Prints a JWT the local server accepts (``make token``).

    python -m local.token --user alice@example.com [--groups execution-admins] [--ttl 3600]

Claims: ``sub`` (the user), ``email`` (the user, when it contains ``@``), ``cognito:groups``
(when groups are given), ``iss``, ``aud``, ``iat``, ``exp``. Signed RS256 with the key in
``.local/jwt-signing-key.pem`` (``$LOCAL_JWT_KEY_FILE`` overrides), created on first use.
"""

from __future__ import annotations

import argparse
import os
import sys

from local.auth import DEFAULT_TTL_SECONDS, mint


def mint_token(
    user: str,
    groups: list[str] | None = None,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    key_file: str | os.PathLike[str] | None = None,
) -> str:
    """A bearer token for ``user`` (the function behind ``python -m local.token``)."""
    return mint(user, groups=groups, ttl_seconds=ttl_seconds, key_file=key_file)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.token", description=__doc__.splitlines()[0])
    parser.add_argument("--user", required=True, help="identity: becomes sub, and email when it contains '@'")
    parser.add_argument("--groups", default="", help="comma-separated groups for the cognito:groups claim")
    parser.add_argument("--ttl", type=int, default=DEFAULT_TTL_SECONDS, help="lifetime in seconds (default 12h)")
    args = parser.parse_args(argv)
    if not args.user.strip():
        parser.error("--user must not be empty")
    if args.ttl <= 0:
        parser.error("--ttl must be positive")
    groups = [group.strip() for group in args.groups.split(",") if group.strip()]
    sys.stdout.write(mint_token(args.user.strip(), groups or None, args.ttl) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
