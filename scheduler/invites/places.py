"""Where a coaching session happens: a coach's video room or address, or the engagement's own.

A place is a video-room URL (https only) or an address, with an optional note. The coach keeps
one on their profile; the supervisor may set another for one engagement, which wins. The same
place goes into the calendar (LOCATION, and RFC 7986 CONFERENCE for video) and both mail parts,
so mail and feed say the same thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

MAX_LENGTH = 500
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class PlaceError(ValueError):
    """A meeting place that cannot be used; `field` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Place:
    url: str | None = None
    address: str | None = None
    note: str | None = None

    @property
    def location(self) -> str:
        """The LOCATION text: the room's URL or the address on one line."""
        return self.url or ", ".join(line.strip() for line in (self.address or "").splitlines() if line.strip())


def _text(field: str, value: str | None, *, multiline: bool) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > MAX_LENGTH:
        raise PlaceError(field, f"at most {MAX_LENGTH} characters")
    allowed = value.replace("\r\n", "\n").replace("\n", "") if multiline else value
    if _CONTROL.search(allowed):
        raise PlaceError(field, "line breaks and control characters are not allowed here" if not multiline
                         else "control characters are not allowed")
    return value.replace("\r\n", "\n")


def meeting_place(url: str | None, address: str | None, note: str | None) -> Place | None:
    """A checked place from form or API values (None when all are empty); `PlaceError` names the field."""
    url = _text("meeting_url", url, multiline=False)
    address = _text("meeting_address", address, multiline=True)
    note = _text("meeting_note", note, multiline=True)
    if url and address:
        raise PlaceError("meeting_address", "give a video room or an address, not both")
    if url:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname or " " in url or parts.username or parts.password:
            raise PlaceError("meeting_url", "must be an https:// address of a video room, without a user name")
    if note and not (url or address):
        raise PlaceError("meeting_note", "a note needs a video room or an address")
    if not (url or address):
        return None
    return Place(url=url, address=address, note=note)


def stored_place(url: str | None, address: str | None, note: str | None) -> Place | None:
    """The place kept in the database, as written (checked when it was saved)."""
    if not (url or address):
        return None
    return Place(url=url or None, address=None if url else address, note=note or None)


class HasPlace(Protocol):
    """A coach or an engagement: both keep a place in the same three columns."""

    meeting_url: str | None
    meeting_address: str | None
    meeting_note: str | None


def place_of(engagement: HasPlace, coach: HasPlace) -> Place | None:
    """The engagement's own place if the supervisor set one, else the coach's."""
    for source in (engagement, coach):
        place = stored_place(source.meeting_url, source.meeting_address, source.meeting_note)
        if place is not None:
            return place
    return None
