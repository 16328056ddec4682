"""The interface every elevation provider implements (``logic.providers``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from execution_api.models.caller import Caller
from execution_api.models.policy import Role
from execution_api.models.workflow_inputs import ElevationInput


@dataclass(frozen=True)
class GrantTarget:
    """What a request asks for: the provider's ``key`` (the ledger's target), and for people the
    account and permission set it names, if any."""

    key: str
    account: str | None = None
    permission_set: str | None = None


class AccessProvider(Protocol):
    NAME: str

    def unavailable(self, role: Role) -> str | None:
        """Why this deployment cannot grant ``role``; ``None`` when it can."""

    def target(self, role: Role, request: ElevationInput) -> GrantTarget:
        """The target ``request`` asks for, or a 400/403 naming the field the role does not allow."""

    def principal(self, role: Role, caller: Caller) -> str:
        """Who ``caller`` is to the provider, or a 400 when they are nobody it knows."""

    def allows(self, role: Role, target: str) -> bool:
        """Whether ``role`` still grants ``target`` (checked again when the grant is made)."""

    def add(self, target: str, principal: str) -> bool:
        """Gives the access; ``False`` when it was there already without this API (standing access,
        which this API never removes)."""

    def remove(self, target: str, principal: str) -> None:
        """Takes away access this API gave."""

    def holdings(self) -> list[tuple[str, str]]:
        """``(target, principal)`` of the existing access the sweep checks: access no live grant
        holds is removed."""

    def ledger_principal(self, principal: str) -> str:
        """How the ledger names ``principal`` (as ``principal`` returned it)."""
