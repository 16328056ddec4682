"""The sweep of grants, in the reconciler's pass: no membership outlives a live grant.

1. Every grant not yet revoked (``ByLiveGrant``) whose elevation is no longer live (its record ended
   or is gone, or its hold has expired) is revoked, as is one whose revoke failed before.
2. Every member of each role's IAM group (the policy's roles, enabled or not) who is not held by a
   live grant is removed: a membership added by hand, or left by a revoke that failed half-way.
Each removal is audited.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from botocore.exceptions import BotoCoreError, ClientError

from execution_api.dal import repositories
from execution_api.dal.grants import GrantRecord
from execution_api.infra import iam_groups
from execution_api.infra.config import roles_policy
from execution_api.infra.observability import logger
from execution_api.infra.settings import get_settings
from execution_api.logic.revoke_access import revoke_access
from execution_api.models.audit import AuditEvent
from execution_api.models.domain import ExecutionState, utc_now

SWEEP = "sweep"
# A hold that has just expired is revoked by its execution's end; the sweep leaves it that long.
EXPIRY_SLACK = timedelta(seconds=60)
# Where removals that no elevation explains are audited (``AUDIT#sweep``).
UNEXPLAINED = "sweep"


def sweep_grants(actor: str) -> Counter[str]:
    now = utc_now()
    outcomes: Counter[str] = Counter()
    for grant in repositories.grants().live():
        if _is_live(grant, now):
            continue
        try:
            revoke_access(grant.guid, cause=SWEEP, actor=actor)
            outcomes["grant_revoked"] += 1
        except (ClientError, BotoCoreError):
            logger.warning("revoke failed in the sweep; the next pass retries", extra={"guid": grant.guid})
            outcomes["revoke_failed"] += 1
    prefix = get_settings().elevation_group_prefix
    for group in sorted({f"{prefix}{role.group}" for role in roles_policy().roles.values()}):
        for user in sorted(iam_groups.members(group)):
            if not _held(group, user.casefold(), now):
                iam_groups.remove_member(group, user)
                detail = {"cause": SWEEP, "target": group, "principal": user, "reason": "no live grant holds it"}
                event = AuditEvent(guid=UNEXPLAINED, type="revoked", at=utc_now(), actor=actor, detail=detail)
                repositories.audit().append(event)
                outcomes["membership_removed"] += 1
    return outcomes


def _is_live(grant: GrantRecord, now: datetime) -> bool:
    if grant.state != "granted" or now > grant.expires_at + EXPIRY_SLACK:
        return False
    record = repositories.executions().get(grant.guid)
    return record is not None and record.state is ExecutionState.INPROGRESS


def _held(group: str, user: str, now: datetime) -> bool:
    ledger = repositories.grants()
    for guid in ledger.holders("aws", group, user):
        grant = ledger.get(guid)
        if grant is not None and _is_live(grant, now):
            return True
    return False
