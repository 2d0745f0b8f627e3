"""The e-mails: MIME shape, calendar bytes kept exactly, each person's timezone and language."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import icalendar
import pytest

from config.settings import Settings
from scheduler.db import Database
from scheduler.invites import calendar as ical
from scheduler.invites.i18n import format_span, translations
from scheduler.invites.mail import Rendered, compose
from scheduler.services.messaging import delivery, outbox
from tests.scheduler.conftest import Sessions, SmtpServer
from tests.scheduler.invite_checks import assert_invitation_shape, calendar_bytes, only_event

START = dt.datetime(2027, 3, 29, 8, 0, tzinfo=dt.UTC)  # Monday after Europe's change, before none in America


def _parse(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_compose_keeps_the_calendar_bytes_exactly_and_uses_crlf() -> None:
    event = ical.SessionEvent(
        uid="0123456789abcdef0123456789abcdef@coaching-scheduler", sequence=0, start_utc=START,
        end_utc=START + dt.timedelta(hours=1), summary="Coaching session with Zoë " + "é" * 80,
        description="ü" * 200, organizer_email="organiser@programme.example", organizer_name="Programme",
    )
    calendar = ical.session_calendar(event, ical.REQUEST, tzid="Europe/Brussels", dtstamp=START)
    raw = compose(
        Rendered("Invitation: Zoë", "Hello Zoë,\n\nline one\nline two\n",
                 '<p>Hello Zoë,</p><p><a href="https://coaching.example/r/t">Your page</a></p>'),
        sender="coaching@programme.example", sender_name="Coaching Programme", recipient="zoe@members.example",
        recipient_name="Zoë Ærø", message_id="<abc@programme.example>", date=START, calendar=calendar,
        method="REQUEST", language="en",
    )
    assert raw.count(b"\n") == raw.count(b"\r\n")
    assert b"Content-Type: text/calendar; method=REQUEST; charset=UTF-8\r\n" in raw
    assert b"Content-Transfer-Encoding: base64" in raw
    message = _parse(raw)
    assert_invitation_shape(message, "REQUEST")
    assert calendar_bytes(message) == calendar
    assert message["To"].addresses[0].display_name == "Zoë Ærø"
    assert message["Subject"] == "Invitation: Zoë"
    html = message.get_body(("html",))
    assert html is not None and '<a href="https://coaching.example/r/t">' in html.get_content()


def test_compose_without_calendar_is_text_and_html_only() -> None:
    raw = compose(Rendered("Reminder", "Hi\n", "<p>Hi</p>"), sender="a@programme.example", sender_name=None,
                  recipient="b@members.example", recipient_name=None, message_id="<x@programme.example>", date=START)
    message = _parse(raw)
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]


def test_each_person_reads_the_time_in_their_own_zone(
    sqlite_db: Database, file_settings: Settings, sessions: Sessions
) -> None:
    with sqlite_db.sessions() as db, db.begin():
        session = sessions.add(db, START, coach_tz="Europe/Brussels", coachee_tz="America/Los_Angeles")
        outbox.enqueue_session_messages(db, session, outbox.REQUEST)
    assert delivery.deliver_all_pending(sqlite_db, file_settings) == (2, 0)
    messages = {}
    for path in Path(file_settings.mail_dir).glob("*.eml"):
        message = _parse(path.read_bytes())
        messages[message["To"].addresses[0].username.rstrip("0123456789")] = message
    coach, coachee = messages["coach"], messages["coachee"]
    coach_text = coach.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    coachee_text = coachee.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Monday 29 March 2027, 10:00–11:00 (Europe/Brussels)" in coach_text
    assert "Monday 29 March 2027, 01:00–02:00 (America/Los_Angeles)" in coachee_text
    _, coach_event = only_event(coach)
    _, coachee_event = only_event(coachee)
    assert coach_event["DTSTART"].params["TZID"] == "Europe/Brussels"
    assert coachee_event["DTSTART"].params["TZID"] == "America/Los_Angeles"
    assert coach_event.decoded("DTSTART") == coachee_event.decoded("DTSTART") == START
    assert len(icalendar.Calendar.from_ical(calendar_bytes(coachee)).walk("VTIMEZONE")) == 1


def test_strings_go_through_gettext_with_english_fallback() -> None:
    assert translations("xx").gettext("Coaching session") == "Coaching session"
    assert format_span(START, START + dt.timedelta(hours=1), "UTC", "fr") == "Monday 29 March 2027, 08:00–09:00 (UTC)"


def test_content_language_names_the_language_the_words_are_in(
    sqlite_db: Database, file_settings: Settings, sessions: Sessions
) -> None:
    from scheduler.models import CoachingRequest

    with sqlite_db.sessions() as db, db.begin():
        session = sessions.add(db, START)
        db.get_one(CoachingRequest, session.engagement.request_id).languages = ["nl", "en"]
        outbox.enqueue_session_messages(db, session, outbox.CANCEL)
    assert delivery.deliver_all_pending(sqlite_db, file_settings) == (2, 0)
    for path in Path(file_settings.mail_dir).glob("*.eml"):
        message = _parse(path.read_bytes())
        assert message["Content-Language"] == "en"  # no Dutch catalogue yet: English words, English tag
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        if message["To"].addresses[0].username.startswith("coachee"):
            assert "https://coaching.example/r/" in text, "the coachee's link is their own status page"
        else:
            assert "https://coaching.example/coach/sessions" in text


def _write_mo(path: Path, catalogue: dict[str, str]) -> None:
    """A minimal GNU .mo file (what msgfmt writes), so the test needs no gettext tools."""
    import struct

    keys = sorted(catalogue)
    ids = b"".join(k.encode() + b"\0" for k in keys)
    strs = b"".join(catalogue[k].encode() + b"\0" for k in keys)
    start = 7 * 4 + 16 * len(keys)
    offsets, pos = [], 0
    for k in keys:
        offsets.append((len(k.encode()), start + pos))
        pos += len(k.encode()) + 1
    value_start, pos, value_offsets = start + len(ids), 0, []
    for k in keys:
        value_offsets.append((len(catalogue[k].encode()), value_start + pos))
        pos += len(catalogue[k].encode()) + 1
    header = struct.pack("Iiiiiii", 0x950412DE, 0, len(keys), 7 * 4, 7 * 4 + 8 * len(keys), 0, 0)
    table = b"".join(struct.pack("ii", *o) for o in offsets) + b"".join(struct.pack("ii", *o) for o in value_offsets)
    path.parent.mkdir(parents=True)
    path.write_bytes(header + table + ids + strs)


def test_a_catalogue_translates_the_mail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from scheduler.invites import i18n

    _write_mo(tmp_path / "nl" / "LC_MESSAGES" / "invites.mo",
              {"Monday": "maandag", "March": "maart", "Coaching session": "Coachingsessie"})
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        assert i18n.effective_language("nl") == "nl"
        assert i18n.translations("nl").gettext("Coaching session") == "Coachingsessie"
        assert i18n.format_span(START, START + dt.timedelta(hours=1), "Europe/Brussels", "nl").startswith(
            "maandag 29 maart 2027, 10:00–11:00"
        )
    finally:
        i18n.translations.cache_clear()


# --------------------------------------------------------------------------- header injection (issue 11)

HOSTILE = "Eve\r\nBcc: victim@elsewhere.example\r\nReply-To: attacker@elsewhere.example\r\n\r\nbody"


def _header_names(raw: bytes) -> list[bytes]:
    head = raw.split(b"\r\n\r\n", 1)[0]
    return [line.split(b":", 1)[0].lower() for line in head.split(b"\r\n") if line[:1] not in (b" ", b"\t")]


def test_a_line_break_in_a_stored_name_never_becomes_a_header(
    sqlite_db: Database, smtp_settings: Settings, smtp_server: SmtpServer, sessions: Sessions
) -> None:
    from scheduler.models import CoachingRequest

    with sqlite_db.sessions() as db, db.begin():
        session = sessions.add(db, START)
        session.coach.name = HOSTILE  # stored before input was checked, say
        db.get_one(CoachingRequest, session.engagement.request_id).coachee_name = "Zoë\nSubject: free money"
        outbox.enqueue_session_messages(db, session, outbox.REQUEST)
    assert delivery.deliver_all_pending(sqlite_db, smtp_settings) == (2, 0)
    received = smtp_server.received
    assert len(received) == 2
    for item in received:
        assert len(item.recipients) == 1, "no recipient was added"
        names = _header_names(item.raw)
        assert b"bcc" not in names and b"reply-to" not in names
        assert names.count(b"subject") == 1 and names.count(b"to") == 1
        message = item.message
        assert "\n" not in str(message["Subject"]) and "\n" not in message["To"].addresses[0].display_name
        # The words are still there, as words of their own header (and in the body).
        assert "Bcc" in str(message["Subject"]) or "Bcc" in str(message["To"])


def test_a_clean_name_is_kept_as_written() -> None:
    raw = compose(Rendered("Invitation: Zoë Ærø", "Hi\n", "<p>Hi</p>"), sender="a@programme.example",
                  sender_name="Coaching Programme", recipient="zoe@members.example", recipient_name="Zoë Ærø-Ünal",
                  message_id="<x@programme.example>", date=START)
    message = _parse(raw)
    assert message["To"].addresses[0].display_name == "Zoë Ærø-Ünal"
    assert message["Subject"] == "Invitation: Zoë Ærø"
    assert _header_names(raw).count(b"to") == 1


def test_an_address_with_a_line_break_is_refused_not_written() -> None:
    with pytest.raises(ValueError):
        compose(Rendered("s", "t\n", "<p>t</p>"), sender="a@programme.example", sender_name=None,
                recipient="zoe@members.example\r\nBcc: victim@elsewhere.example", recipient_name=None,
                message_id="<x@programme.example>", date=START)
