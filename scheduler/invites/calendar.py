"""iCalendar (RFC 5545 / RFC 5546) for coaching sessions: invites, cancellations and feeds.

One VCALENDAR per session and recipient, with one VEVENT (RFC 5546: one UID per
message). The UID is the session's random `calendar_uid`; SEQUENCE goes up with every
change of time, coach or place, so clients update the event they already have instead of adding
a second one. Times are written in the recipient's zone with a VTIMEZONE made of yearly
RRULEs (see `timezones`), or in UTC when the zone cannot be written that way.
`icalendar` writes CRLF line ends and folds lines at 75 octets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, vCalAddress, vText

from scheduler.invites.places import Place
from scheduler.invites.timezones import vtimezone

PRODID = "-//Coaching Scheduler//Invites 1.0//EN"
REQUEST = "REQUEST"
CANCEL = "CANCEL"
PUBLISH = "PUBLISH"


@dataclass(frozen=True)
class Attendee:
    """A participant of a session as the calendar names them."""

    email: str
    name: str
    role: str = "REQ-PARTICIPANT"


@dataclass(frozen=True)
class SessionEvent:
    """What a calendar needs to know about one session, already in the recipient's words."""

    uid: str
    sequence: int
    start_utc: dt.datetime
    end_utc: dt.datetime
    summary: str
    description: str
    organizer_email: str
    organizer_name: str
    attendees: Sequence[Attendee] = field(default_factory=tuple)
    cancelled: bool = False
    url: str | None = None
    place: Place | None = None
    # Whether attendees are asked to answer (RSVP=TRUE): only where a programme reads replies.
    rsvp: bool = True


def _mailto(email: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    for key, value in params.items():
        address.params[key] = vText(value)
    return address


def _zone_for(tzid: str | None, events: Sequence[SessionEvent]) -> tuple[ZoneInfo | None, object]:
    """The zone to write local times in and its VTIMEZONE, or (None, None) for UTC."""
    if not tzid or tzid in {"UTC", "Etc/UTC"} or not events:
        return None, None
    first = min(e.start_utc for e in events)
    last = max(e.end_utc for e in events)
    component = vtimezone(tzid, first, last)
    if component is None:
        return None, None
    return ZoneInfo(tzid), component


def _unambiguous(instant: dt.datetime, zone: ZoneInfo) -> bool:
    """Whether the local wall time names this instant alone.

    In the hour repeated when clocks go back, a local time is read as its first
    occurrence (RFC 5545 3.3.5), so an instant in the second one must be written in UTC.
    """
    first_reading = instant.astimezone(zone).replace(fold=0)
    return first_reading.astimezone(dt.UTC) == instant.astimezone(dt.UTC)


def _event(
    source: SessionEvent,
    *,
    method: str,
    zone: ZoneInfo | None,
    dtstamp: dt.datetime,
    alarm_minutes: int | None,
) -> Event:
    event = Event()
    event.add("UID", source.uid)
    event.add("SEQUENCE", source.sequence)
    event.add("DTSTAMP", dtstamp.astimezone(dt.UTC))
    if zone is not None and not (_unambiguous(source.start_utc, zone) and _unambiguous(source.end_utc, zone)):
        zone = None
    start = source.start_utc.astimezone(zone or dt.UTC)
    end = source.end_utc.astimezone(zone or dt.UTC)
    event.add("DTSTART", start)
    event.add("DTEND", end)
    event.add("SUMMARY", source.summary)
    event.add("DESCRIPTION", source.description)
    if source.url:
        event.add("URL", source.url)
    if source.place is not None:
        event.add("LOCATION", source.place.location)
        if source.place.url:
            # RFC 7986 section 5.11: clients show a "join" button for a video room.
            event.add("CONFERENCE", source.place.url,
                      parameters={"VALUE": "URI", "FEATURE": "VIDEO", "LABEL": "Video room"})
    event.add("STATUS", "CANCELLED" if source.cancelled else "CONFIRMED")
    event.add("TRANSP", "TRANSPARENT" if source.cancelled else "OPAQUE")
    event.add("ORGANIZER", _mailto(source.organizer_email, CN=source.organizer_name))
    rsvp = "TRUE" if method == REQUEST and source.rsvp and not source.cancelled else "FALSE"
    for person in source.attendees:
        event.add(
            "ATTENDEE",
            _mailto(
                person.email,
                CUTYPE="INDIVIDUAL",
                ROLE=person.role,
                PARTSTAT="NEEDS-ACTION",
                RSVP=rsvp,
                CN=person.name,
            ),
        )
    if alarm_minutes is not None and not source.cancelled:
        alarm = Alarm()
        alarm.add("ACTION", "DISPLAY")
        alarm.add("DESCRIPTION", source.summary)
        alarm.add("TRIGGER", dt.timedelta(minutes=-alarm_minutes))
        event.add_component(alarm)
    return event


def _calendar(method: str | None, name: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("PRODID", PRODID)
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    if method:
        cal.add("METHOD", method)
    if name:
        cal.add("X-WR-CALNAME", name)
    return cal


def session_calendar(
    event: SessionEvent,
    method: str,
    *,
    tzid: str | None,
    dtstamp: dt.datetime,
    alarm_minutes: int | None = None,
) -> bytes:
    """One VCALENDAR with METHOD:REQUEST or METHOD:CANCEL holding this session's VEVENT."""
    if method not in (REQUEST, CANCEL):
        raise ValueError(f"unsupported iTIP method {method!r}")
    zone, component = _zone_for(tzid, [event])
    cal = _calendar(method)
    if component is not None:
        cal.add_component(component)
    source = event if method == REQUEST else _cancelled(event)
    cal.add_component(_event(source, method=method, zone=zone, dtstamp=dtstamp, alarm_minutes=alarm_minutes))
    return bytes(cal.to_ical())


def feed_calendar(events: Iterable[SessionEvent], *, tzid: str | None, name: str, dtstamp: dt.datetime) -> bytes:
    """A subscribable calendar (no iTIP method) with one VEVENT per session, same UIDs and sequences."""
    items = sorted(events, key=lambda e: (e.start_utc, e.uid))
    zone, component = _zone_for(tzid, items)
    cal = _calendar(None, name)
    if zone is not None and component is not None:
        cal.add("X-WR-TIMEZONE", tzid)
        cal.add_component(component)
    for item in items:
        cal.add_component(_event(item, method=PUBLISH, zone=zone, dtstamp=dtstamp, alarm_minutes=None))
    return bytes(cal.to_ical())


def _cancelled(event: SessionEvent) -> SessionEvent:
    if event.cancelled:
        return event
    return SessionEvent(**{**event.__dict__, "cancelled": True})
