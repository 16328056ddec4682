"""Every key of the executions table, built here and nowhere else.

=================  =================================  ==========================================
item / index       partition key                      sort key
=================  =================================  ==========================================
execution record   ``pk = EXEC#<guid>``               ``sk = RECORD``
decision step      ``pk = EXEC#<guid>``               ``sk = DECISION#<step>``
pending decision   ``pk = EXEC#<guid>``               ``sk = PENDING#<step>#<recipient>``
one vote           ``pk = EXEC#<guid>``               ``sk = VOTE#<step>#<voter>``
used link nonce    ``pk = NONCE#<id>``                ``sk = NONCE``
audit event        ``pk = AUDIT#<guid>``              ``sk = <time>#<random>`` (kept after the record goes)
an elevation grant ``pk = GRANT#<guid>``              ``sk = GRANT``
grant holders      ``pk = HOLDERS#<provider>#<target>#<principal>``  ``sk = HOLDERS`` (guids holding it)
ByOwner            ``owner = <owner>``                ``start_key = <start_time>#<guid>``
ByOwnerState       ``owner_state = <owner>#<state>``  ``start_key``
ByOwnerWorkflow    ``owner_workflow = <owner>#<w>``   ``start_key``
ByOwnerSession     ``owner_session = <owner>#<s>``    ``start_key`` (sparse: only with a session)
ByRecipient        ``recipient = <recipient>``        ``start_key`` (pending decisions)
ByRunning          ``running_shard = RUNNING#<0-f>``  ``start_key`` (sparse: not known to have ended)
ByLiveGrant        ``live_grant = LIVE``              ``expires_key`` (sparse: grants not yet revoked)
                   ``live_grant = OWNED#<provider>``  ``expires_key = <target>#<principal>`` (on the
                                                      holders item: access this API created, not yet
                                                      removed; providers whose targets others share)
=================  =================================  ==========================================

State, workflow and session never contain ``#``, so the composite keys cannot collide whatever
the owner holds. The same table is described beside its definition in ``template.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from execution_api.infra.timefmt import iso_millis

Key = dict[str, dict[str, str]]

RECORD_SK = "RECORD"
RUNNING_SHARDS = tuple(f"RUNNING#{digit}" for digit in "0123456789abcdef")


def _key(pk: str, sk: str) -> Key:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def execution_pk(guid: str) -> str:
    return f"EXEC#{guid}"


def record_key(guid: str) -> Key:
    return _key(execution_pk(guid), RECORD_SK)


def decision_key(guid: str, step: str) -> Key:
    return _key(execution_pk(guid), f"DECISION#{step}")


def pending_key(guid: str, step: str, recipient: str) -> Key:
    return _key(execution_pk(guid), f"PENDING#{step}#{recipient}")


def vote_key(guid: str, step: str, voter: str) -> Key:
    return _key(execution_pk(guid), f"VOTE#{step}#{voter}")


def nonce_key(nonce: str) -> Key:
    return _key(f"NONCE#{nonce}", "NONCE")


def audit_key(guid: str, sort_key: str) -> Key:
    return _key(f"AUDIT#{guid}", sort_key)


def grant_key(guid: str) -> Key:
    return _key(f"GRANT#{guid}", "GRANT")


def holders_key(provider: str, target: str, principal: str) -> Key:
    return _key(f"HOLDERS#{provider}#{target}#{principal}", "HOLDERS")


LIVE_GRANT = "LIVE"


def owned_access(provider: str) -> str:
    """``ByLiveGrant``'s partition of the access this API created through ``provider``."""
    return f"OWNED#{provider}"


def start_key(start_time: datetime, guid: str) -> str:
    """Sorts by start time (fixed-width UTC) and is unique."""
    return f"{iso_millis(start_time)}#{guid}"


def running_shard(guid: str) -> str:
    """Records whose Step Functions execution is not yet known to have ended carry this (sparse
    ``ByRunning`` index, 16 shards by the guid's first digit); status sync removes it."""
    return f"RUNNING#{guid[0]}"


def owner_state(owner: str, state: str) -> str:
    return f"{owner}#{state}"


def owner_workflow(owner: str, workflow: str) -> str:
    return f"{owner}#{workflow}"


def owner_session(owner: str, session_id: str) -> str:
    return f"{owner}#{session_id}"


@dataclass(frozen=True)
class Index:
    """An owner-scoped index: its name and partition-key attribute."""

    name: str
    key_attribute: str


BY_OWNER = Index("ByOwner", "owner")
BY_OWNER_STATE = Index("ByOwnerState", "owner_state")
BY_OWNER_WORKFLOW = Index("ByOwnerWorkflow", "owner_workflow")
BY_OWNER_SESSION = Index("ByOwnerSession", "owner_session")


def resume_key(item: dict[str, Any], index: Index) -> dict[str, Any]:
    """The ``ExclusiveStartKey`` that goes on after ``item`` in ``index``."""
    return {name: item[name] for name in ("pk", "sk", "start_key", index.key_attribute)}
