"""Errors a user can cause: each becomes a clear 4xx (web) or exit 2 (CLI)."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


class ServiceError(Exception):
    """Base of the errors users can cause."""

    code = "error"

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class InvalidInput(ServiceError):
    """Input that breaks a rule; `fields` maps each field name to what is wrong with it."""

    code = "invalid"


class NotFound(ServiceError):
    code = "not_found"


class Conflict(ServiceError):
    """The state changed under the caller (compare-and-set failed) or a booking clashes."""

    code = "conflict"


class Forbidden(ServiceError):
    code = "forbidden"


def found(value: T | None, message: str) -> T:
    """`value`, or NotFound saying `message` when a look-up by what the user gave found nothing."""
    if value is None:
        raise NotFound(message)
    return value
