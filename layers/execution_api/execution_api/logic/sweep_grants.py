"""The sweep of grants, in the reconciler's pass: no access outlives a live grant.

1. Every grant not yet revoked (``ByLiveGrant``) whose elevation is no longer live (its record ended
   or is gone, or its hold has expired) is revoked, as is one whose revoke failed before.
2. Each provider's existing access that the sweep checks (``holdings``) and no live grant holds is
   removed: for IAM groups, any member of a role's group (added by hand, or left by a revoke that
   failed half-way); for Identity Center, only the assignments this API created (the ledger's
   marks), never one made outside it.
Each removal is audited; one that fails is logged and tried again by the next pass. Access a grant
was counted for while it was being removed is given back at once, as a revoke does.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from execution_api.dal import repositories
from execution_api.dal.grants import GrantRecord
from execution_api.infra.aws_errors import AWS_FAILURES, failure_name
from execution_api.infra.observability import logger
from execution_api.logic.providers import all_providers
from execution_api.logic.revoke_access import remove_access, revoke_access
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
        except AWS_FAILURES:
            logger.warning("revoke failed in the sweep; the next pass retries", extra={"guid": grant.guid})
            outcomes["revoke_failed"] += 1
    for provider in all_providers():
        for target, principal in provider.holdings():
            held_as = provider.ledger_principal(principal)
            if _held(provider.NAME, target, held_as, now):
                continue
            try:
                if not remove_access(provider.NAME, target, principal, held_as):
                    continue  # a grant was counted while it was being removed: given back
            except AWS_FAILURES as error:
                logger.warning(
                    "removal failed in the sweep; the next pass retries",
                    extra={"provider": provider.NAME, "target": target, "aws_error": failure_name(error)},
                )
                outcomes["removal_failed"] += 1
                continue
            detail = {"cause": SWEEP, "target": target, "principal": principal, "reason": "no live grant holds it"}
            event = AuditEvent(guid=UNEXPLAINED, type="revoked", at=utc_now(), actor=actor, detail=detail)
            repositories.audit().append(event)
            outcomes["access_removed"] += 1
    return outcomes


def _is_live(grant: GrantRecord, now: datetime) -> bool:
    if grant.state != "granted" or now > grant.expires_at + EXPIRY_SLACK:
        return False
    record = repositories.executions().get(grant.guid)
    return record is not None and record.state is ExecutionState.INPROGRESS


def _held(provider: str, target: str, principal: str, now: datetime) -> bool:
    ledger = repositories.grants()
    for guid in ledger.holders(provider, target, principal):
        grant = ledger.get(guid)
        if grant is not None and _is_live(grant, now):
            return True
    return False
