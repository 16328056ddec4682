"""The ``aws`` provider: a role is membership of an IAM group in this stack's account, and the
requester is the IAM user named by their verified email. Adding and removing are idempotent: a
membership that already is (or is not) counts as done."""

from __future__ import annotations

from botocore.exceptions import ClientError

from execution_api.infra.aws_errors import code_of
from execution_api.infra.clients import client


def add_member(group: str, user: str) -> None:
    client("iam").add_user_to_group(GroupName=group, UserName=user)


def remove_member(group: str, user: str) -> None:
    try:
        client("iam").remove_user_from_group(GroupName=group, UserName=user)
    except ClientError as error:
        if code_of(error) not in ("NoSuchEntity", "NoSuchEntityException"):
            raise


def members(group: str) -> set[str]:
    """The users in ``group`` (none when the group does not exist)."""
    found: set[str] = set()
    try:
        for page in client("iam").get_paginator("get_group").paginate(GroupName=group):
            found.update(user["UserName"] for user in page["Users"])
    except ClientError as error:
        if code_of(error) not in ("NoSuchEntity", "NoSuchEntityException"):
            raise
    return found
