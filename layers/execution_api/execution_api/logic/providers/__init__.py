"""Elevation providers: what a role's grant is made of, one module per provider behind one small
interface (:class:`AccessProvider`), chosen by the role's ``provider``.

A provider says, for its roles, whether this deployment can grant them at all (``unavailable``),
which target a request asks for and whether the role allows it (``target``, ``allows``), who the
requester is to it (``principal``), how access is added and removed (``add``, ``remove``:
idempotent, and done only once the access really is there or gone), and which existing access the
reconciler's sweep checks against the ledger (``holdings``). The ledger (``dal.grants``), the audit
and the order of the steps belong to the callers (``logic.grant_access``, ``logic.revoke_access``,
``logic.sweep_grants``, ``logic.execution_inputs``), the same for every provider.
"""

from __future__ import annotations

from execution_api.logic.providers import iam_groups, identity_center
from execution_api.logic.providers.base import AccessProvider

_PROVIDERS: dict[str, AccessProvider] = {iam_groups.NAME: iam_groups, identity_center.NAME: identity_center}


def provider(name: str) -> AccessProvider:
    """The provider named ``name`` (a role's ``provider``, a grant's in the ledger)."""
    return _PROVIDERS[name]


def all_providers() -> list[AccessProvider]:
    return list(_PROVIDERS.values())
