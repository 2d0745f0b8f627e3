"""Reading received invites back with the stdlib `email` package and `icalendar`."""

from __future__ import annotations

from email.message import EmailMessage

import icalendar


def calendar_part(message: EmailMessage) -> EmailMessage:
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, "one text/calendar part per message"
    part = parts[0]
    assert isinstance(part, EmailMessage)
    return part


def calendar_bytes(message: EmailMessage) -> bytes:
    payload = calendar_part(message).get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload


def only_event(message: EmailMessage) -> tuple[icalendar.Calendar, icalendar.Event]:
    cal = icalendar.Calendar.from_ical(calendar_bytes(message))
    events = cal.walk("VEVENT")
    assert len(events) == 1, "RFC 5546: one UID (here one VEVENT) per message"
    return cal, events[0]


def assert_invitation_shape(message: EmailMessage, method: str) -> None:
    """multipart/alternative of text/plain, text/html and text/calendar with the method on part and calendar."""
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html", "text/calendar"]
    part = calendar_part(message)
    assert part.get_param("method") == method
    assert str(part.get_param("charset")).upper() == "UTF-8"
    cal, _ = only_event(message)
    assert str(cal["METHOD"]) == method
    raw = calendar_bytes(message)
    assert raw.count(b"\n") == raw.count(b"\r\n"), "CRLF line ends kept byte for byte"
    assert all(len(line) <= 75 for line in raw.split(b"\r\n")), "lines folded at 75 octets"
