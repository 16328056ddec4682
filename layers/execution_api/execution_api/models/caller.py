"""Who is calling, once the API edge (``api.identity``) has read it from the verified token."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Caller:
    """``identity`` is canonical (``<issuer>#<sub>``): what records are owned by. ``email`` is set
    only when the identity provider verified it; ``display`` is what people read (the email, else
    ``sub``)."""

    identity: str
    email: str | None = None
    groups: frozenset[str] = field(default_factory=frozenset)
    is_admin: bool = False
    display: str | None = None

    @property
    def name(self) -> str:
        return self.display or self.email or self.identity

    def may_access(self, owner: str) -> bool:
        return self.is_admin or owner == self.identity

    def is_person(self, identity: str, email: str | None) -> bool:
        """Whether ``identity``/``email`` name this caller, whatever the spelling of the email: one
        person may reach us under another ``sub`` with the same verified email."""
        return identity == self.identity or bool(email and self.email and email.casefold() == self.email.casefold())
