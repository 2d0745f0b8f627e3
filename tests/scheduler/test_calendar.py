"""The iCalendar we write, re-read by independent parsers, across the DST weeks of Europe and America."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import dateutil.rrule
import icalendar
import pytest
import recurring_ical_events
import vobject

from scheduler.invites import calendar as ical
from scheduler.invites.timezones import transitions, vtimezone

# 2027: Europe changes on 28 March and 31 October, the United States on 14 March and 7 November.
DST_WEEKS = {
    "Europe/Brussels": [dt.date(2027, 3, 25), dt.date(2027, 10, 28)],
    "Europe/London": [dt.date(2027, 3, 25), dt.date(2027, 10, 28)],
    "America/New_York": [dt.date(2027, 3, 11), dt.date(2027, 11, 4)],
    "America/Los_Angeles": [dt.date(2027, 3, 11), dt.date(2027, 11, 4)],
    "Australia/Sydney": [dt.date(2027, 4, 1), dt.date(2027, 9, 30)],
}


def _event(start: dt.datetime, minutes: int = 60, **changes: object) -> ical.SessionEvent:
    values: dict[str, object] = {
        "uid": "4f1c0e8a9b2d4c6e8f0a1b2c3d4e5f60@coaching-scheduler",
        "sequence": 0,
        "start_utc": start,
        "end_utc": start + dt.timedelta(minutes=minutes),
        "summary": "Coaching session with Zoë Ærøskøbing-Łukasiewicz, a rather long name for folding",
        "description": "You are invited to a coaching session.\n\nYour request: https://coaching.example/r/x",
        "organizer_email": "organiser@programme.example",
        "organizer_name": "Coaching Programme",
        "attendees": [ical.Attendee("coach@coaches.example", "Ånna Coach"), ical.Attendee("zoe@members.example", "Zoë")],
    }
    values.update(changes)
    return ical.SessionEvent(**values)  # type: ignore[arg-type]


def _instants_in_week(tzid: str, monday: dt.date) -> list[dt.datetime]:
    """Sessions at several local times on each day of a week, as UTC instants (gap times skipped)."""
    zone = ZoneInfo(tzid)
    found = []
    for day in range(8):
        for hour, minute in ((1, 30), (2, 30), (3, 0), (9, 0), (18, 30), (23, 30)):
            local = dt.datetime.combine(monday + dt.timedelta(days=day), dt.time(hour, minute), zone)
            instant = local.astimezone(dt.UTC)
            if instant.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
                found.append(instant)
    return found


def _instants_read_back(body: bytes) -> dict[str, list[dt.datetime]]:
    """DTSTART/DTEND in UTC as read by vobject and by recurring-ical-events."""
    card = vobject.readOne(body.decode())
    by_vobject = [card.vevent.dtstart.value.astimezone(dt.UTC), card.vevent.dtend.value.astimezone(dt.UTC)]
    cal = icalendar.Calendar.from_ical(body)
    (occurrence,) = recurring_ical_events.of(cal).between(dt.datetime(2000, 1, 1), dt.datetime(2100, 1, 1))
    by_rie = [occurrence["DTSTART"].dt.astimezone(dt.UTC), occurrence["DTEND"].dt.astimezone(dt.UTC)]
    return {"vobject": by_vobject, "recurring-ical-events": by_rie}


@pytest.mark.parametrize("tzid", sorted(DST_WEEKS))
def test_round_trip_gives_the_same_utc_instants_in_dst_weeks(tzid: str) -> None:
    for monday in DST_WEEKS[tzid]:
        for start in _instants_in_week(tzid, monday):
            body = ical.session_calendar(_event(start), ical.REQUEST, tzid=tzid, dtstamp=start)
            in_local = f"DTSTART;TZID={tzid}:".encode() in body
            assert in_local or b"DTEND:" in body, "UTC only where the local time is ambiguous"
            expected = [start, start + dt.timedelta(hours=1)]
            for parser, got in _instants_read_back(body).items():
                assert got == expected, f"{parser} read {got} for {start} in {tzid}"
            # Renamed to a zone no library knows, the parsers must use our VTIMEZONE itself
            # (one name per zone: vobject keeps the first VTIMEZONE it saw under a name).
            private = body.replace(tzid.encode(), f"Private-{tzid.replace('/', '-')}".encode())
            for parser, got in _instants_read_back(private).items():
                assert got == expected, f"{parser} read our VTIMEZONE as {got} for {start} in {tzid}"


def _onset(observance: icalendar.cal.Component, year: int) -> dt.datetime:
    start = observance.decoded("DTSTART")
    assert start.year == 1970
    rule = dateutil.rrule.rrulestr(observance["RRULE"].to_ical().decode(), dtstart=start)
    (onset,) = rule.between(dt.datetime(year, 1, 1), dt.datetime(year + 1, 1, 1))
    return onset


@pytest.mark.parametrize("tzid", ["Europe/Brussels", "America/New_York", "Australia/Sydney"])
def test_vtimezone_is_written_with_yearly_rrules_not_rdate_lists(tzid: str) -> None:
    body = ical.session_calendar(_event(dt.datetime(2027, 7, 1, 8, tzinfo=dt.UTC)), ical.REQUEST, tzid=tzid,
                                 dtstamp=dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    (zone,) = icalendar.Calendar.from_ical(body).walk("VTIMEZONE")
    observances = zone.walk("STANDARD") + zone.walk("DAYLIGHT")
    assert len(observances) == 2
    assert all("RRULE" in o and "RDATE" not in o for o in observances)
    assert b"RDATE" not in body
    # Each rule starts in 1970 and reproduces the zone's real transitions around the session.
    for year in (2026, 2027, 2028):
        real = {t.local_onset for t in transitions(ZoneInfo(tzid), year)}
        assert {_onset(o, year) for o in observances} == real


def test_zone_without_summer_time_gets_one_standard_observance() -> None:
    start = dt.datetime(2027, 3, 11, 12, tzinfo=dt.UTC)
    body = ical.session_calendar(_event(start), ical.REQUEST, tzid="Asia/Kolkata", dtstamp=start)
    assert b"DTSTART;TZID=Asia/Kolkata:20270311T173000" in body
    assert b"RRULE" not in body
    assert _instants_read_back(body)["vobject"][0] == start


def test_zone_whose_rules_are_not_yearly_is_written_in_utc() -> None:
    # Morocco suspends summer time for Ramadan: no nth-weekday rule describes it.
    start = dt.datetime(2027, 3, 11, 12, tzinfo=dt.UTC)
    assert vtimezone("Africa/Casablanca", start, start) is None
    body = ical.session_calendar(_event(start), ical.REQUEST, tzid="Africa/Casablanca", dtstamp=start)
    assert b"VTIMEZONE" not in body and b"DTSTART:20270311T120000Z" in body
    assert all(got[0] == start for got in _instants_read_back(body).values())


def test_lines_are_crlf_and_folded_at_75_octets_even_with_non_ascii() -> None:
    long_description = "Ærø " * 60 + "\n" + "x" * 200
    body = ical.session_calendar(_event(dt.datetime(2027, 5, 3, 8, tzinfo=dt.UTC), description=long_description),
                                 ical.REQUEST, tzid="Europe/Brussels", dtstamp=dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    assert body.endswith(b"\r\n") and body.count(b"\n") == body.count(b"\r\n")
    lines = body.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines), "long lines were folded"
    for line in lines:
        line.decode("utf-8")  # folding never splits a UTF-8 sequence
    (event,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert str(event["DESCRIPTION"]) == long_description


def test_request_carries_organizer_attendees_sequence_dtstamp_and_alarm() -> None:
    start = dt.datetime(2027, 5, 3, 8, tzinfo=dt.UTC)
    stamp = dt.datetime(2027, 4, 1, 10, 11, 12, tzinfo=dt.UTC)
    body = ical.session_calendar(_event(start, sequence=3), ical.REQUEST, tzid="Europe/Brussels", dtstamp=stamp,
                                 alarm_minutes=15)
    cal = icalendar.Calendar.from_ical(body)
    assert (str(cal["METHOD"]), str(cal["VERSION"])) == ("REQUEST", "2.0")
    (event,) = cal.walk("VEVENT")
    assert int(event["SEQUENCE"]) == 3
    assert event.decoded("DTSTAMP") == stamp
    assert str(event["ORGANIZER"]) == "mailto:organiser@programme.example"
    assert event["ORGANIZER"].params["CN"] == "Coaching Programme"
    for attendee in event["ATTENDEE"]:
        assert dict(attendee.params) | {"CN": ""} == {
            "CN": "", "CUTYPE": "INDIVIDUAL", "ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION", "RSVP": "TRUE"
        }
    (alarm,) = event.walk("VALARM")
    assert alarm.decoded("TRIGGER") == -dt.timedelta(minutes=15)
    assert re.fullmatch(r"[0-9a-f]{32}@coaching-scheduler", str(event["UID"]))


def test_cancel_has_the_same_uid_status_cancelled_and_no_rsvp() -> None:
    start = dt.datetime(2027, 5, 3, 8, tzinfo=dt.UTC)
    request = ical.session_calendar(_event(start), ical.REQUEST, tzid="UTC", dtstamp=start)
    cancel = ical.session_calendar(_event(start, sequence=1), ical.CANCEL, tzid="UTC", dtstamp=start,
                                   alarm_minutes=15)
    (first,) = icalendar.Calendar.from_ical(request).walk("VEVENT")
    cal = icalendar.Calendar.from_ical(cancel)
    (second,) = cal.walk("VEVENT")
    assert str(cal["METHOD"]) == "CANCEL"
    assert str(second["UID"]) == str(first["UID"])
    assert int(second["SEQUENCE"]) > int(first["SEQUENCE"])
    assert str(second["STATUS"]) == "CANCELLED"
    assert {a.params["RSVP"] for a in second["ATTENDEE"]} == {"FALSE"}
    assert not second.walk("VALARM")
    assert b"DTSTART:20270503T080000Z" in cancel
