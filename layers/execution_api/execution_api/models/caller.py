"""Who is calling, once the API edge (``api.identity``) has read it from the verified token."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    identity: str
    is_admin: bool = False

    def may_access(self, owner: str) -> bool:
        return self.is_admin or owner == self.identity
