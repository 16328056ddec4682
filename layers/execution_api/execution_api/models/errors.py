"""Domain errors. ``http`` maps each class to one status code; nothing else does."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: ``message`` is safe to show to the caller."""

    def __init__(self, message: str, details: list[dict] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidRequest(DomainError):
    """The request is well-formed JSON but a field's value is not acceptable."""


class NotFound(DomainError):
    """No such resource, or the caller may not see it (existence is not revealed)."""


class Conflict(DomainError):
    """The resource is in a state that does not allow the operation."""


class Forbidden(DomainError):
    """Authenticated, but this caller may not do this (e.g. a link addressed to someone else)."""


class Gone(DomainError):
    """The thing existed but has expired (e.g. a decision link past its expiry)."""


class Unauthorized(DomainError):
    """No authenticated caller."""


class ServiceUnavailable(DomainError):
    """A dependency is throttling or failing; the caller may retry later."""
