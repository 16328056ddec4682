"""IAM Identity Center as the ``aws-sso`` provider uses it: the Identity Store user a verified email
names, and account assignments (a permission set for a user on an account).

Creating and deleting an assignment are asynchronous in Identity Center: the call answers with a
request whose status is ``IN_PROGRESS``, and only ``DescribeAccountAssignment{Creation,Deletion}Status``
says when it ended, ``SUCCEEDED`` or ``FAILED``. :func:`assign` and :func:`unassign` wait for that end
(polling with a growing delay, at most ``identity_center_wait_seconds``), so neither counts as done
before it is; a request that failed, or had not ended in time, raises :class:`AsyncRequestFailed`.
A creation is asked for (:func:`request_assignment`) and waited for (:func:`wait_assigned`) in two
steps, so that the provider can note the request in between: a creation that has not ended is not
yet listed, and a deletion must wait for it (:func:`creation_in_progress`).
A request refused because another one on the same assignment is under way (``ConflictException``)
is sent again within the same wait. Both are idempotent: an assignment already there (or gone)
counts as done.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from execution_api.infra.aws_errors import AsyncRequestFailed, code_of
from execution_api.infra.clients import client
from execution_api.infra.settings import get_settings

USER = "USER"
ACCOUNT = "AWS_ACCOUNT"
NOT_FOUND = "ResourceNotFoundException"
CONFLICT = "ConflictException"
FIRST_POLL_SECONDS = 0.2
MAX_POLL_SECONDS = 5.0


@dataclass(frozen=True)
class Assignment:
    """A permission set for a user (``user_id`` in the Identity Store) on an account."""

    permission_set_arn: str
    account: str
    user_id: str

    @property
    def instance_arn(self) -> str:
        """The instance the permission set belongs to (its ARN names it)."""
        head, instance, _ = self.permission_set_arn.split("/", 2)
        partition = head.split(":")[1]
        return f"arn:{partition}:sso:::instance/{instance}"

    def request(self) -> dict[str, str]:
        return {
            "InstanceArn": self.instance_arn,
            "TargetId": self.account,
            "TargetType": ACCOUNT,
            "PermissionSetArn": self.permission_set_arn,
            "PrincipalType": USER,
            "PrincipalId": self.user_id,
        }


def user_id(identity_store_id: str, attribute: str, value: str) -> str | None:
    """The Identity Store user whose ``attribute`` (``emails.value`` or ``userName``) is ``value``."""
    try:
        found = client("identitystore").get_user_id(
            IdentityStoreId=identity_store_id,
            AlternateIdentifier={"UniqueAttribute": {"AttributePath": attribute, "AttributeValue": value}},
        )
    except ClientError as error:
        if code_of(error) == NOT_FOUND:
            return None
        raise
    return str(found["UserId"])


def is_assigned(assignment: Assignment) -> bool:
    """Whether the user has the permission set on the account as a user (not through a group)."""
    pages = (
        client("sso-admin")
        .get_paginator("list_account_assignments")
        .paginate(
            InstanceArn=assignment.instance_arn,
            AccountId=assignment.account,
            PermissionSetArn=assignment.permission_set_arn,
        )
    )
    return any(
        each["PrincipalType"] == USER and each["PrincipalId"] == assignment.user_id
        for page in pages
        for each in page["AccountAssignments"]
    )


def request_assignment(assignment: Assignment) -> dict[str, Any]:
    """Asks Identity Center to create the assignment; its request status (``RequestId``,
    ``Status``), for :func:`wait_assigned`."""
    sso = client("sso-admin")
    return _send(
        lambda: sso.create_account_assignment(**assignment.request())["AccountAssignmentCreationStatus"], _deadline()
    )


def wait_assigned(assignment: Assignment, status: dict[str, Any]) -> None:
    """Waits until the creation request that ``status`` describes has succeeded."""
    _wait(status, lambda request_id: _creation_status(assignment, request_id), "assignment creation", _deadline())


def creation_in_progress(assignment: Assignment, request_id: str) -> bool:
    """Whether the creation request ``request_id`` has not ended yet (one Identity Center no
    longer knows has)."""
    try:
        return _creation_status(assignment, request_id).get("Status") == "IN_PROGRESS"
    except ClientError as error:
        if code_of(error) == NOT_FOUND:
            return False
        raise


def _creation_status(assignment: Assignment, request_id: str) -> dict[str, Any]:
    return client("sso-admin").describe_account_assignment_creation_status(
        InstanceArn=assignment.instance_arn, AccountAssignmentCreationRequestId=request_id
    )["AccountAssignmentCreationStatus"]


def unassign(assignment: Assignment) -> None:
    """Deletes the assignment, if it is there, and waits until Identity Center says it is gone."""
    if not is_assigned(assignment):
        return
    sso = client("sso-admin")
    deadline = _deadline()
    try:
        status = _send(
            lambda: sso.delete_account_assignment(**assignment.request())["AccountAssignmentDeletionStatus"], deadline
        )
    except ClientError as error:
        if code_of(error) == NOT_FOUND:
            return
        raise

    def describe(request_id: str) -> dict[str, Any]:
        return sso.describe_account_assignment_deletion_status(
            InstanceArn=assignment.instance_arn, AccountAssignmentDeletionRequestId=request_id
        )["AccountAssignmentDeletionStatus"]

    try:
        _wait(status, describe, "assignment deletion", deadline)
    except AsyncRequestFailed:
        if is_assigned(assignment):
            raise


def _deadline() -> float:
    return time.monotonic() + get_settings().identity_center_wait_seconds


def _send(call: Callable[[], dict[str, Any]], deadline: float) -> dict[str, Any]:
    delay = FIRST_POLL_SECONDS
    while True:
        try:
            return call()
        except ClientError as error:
            if code_of(error) != CONFLICT or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, MAX_POLL_SECONDS)


def _wait(status: dict[str, Any], describe: Callable[[str], dict[str, Any]], what: str, deadline: float) -> None:
    delay = FIRST_POLL_SECONDS
    while status.get("Status") == "IN_PROGRESS":
        if time.monotonic() + delay > deadline:
            raise AsyncRequestFailed(f"{what} still IN_PROGRESS when the wait ran out")
        time.sleep(delay)
        delay = min(delay * 2, MAX_POLL_SECONDS)
        status = describe(status["RequestId"])
    if status.get("Status") != "SUCCEEDED":
        raise AsyncRequestFailed(f"{what} {status.get('Status')}: {status.get('FailureReason') or 'no reason given'}")
