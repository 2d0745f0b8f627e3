"""Answers from calendars (iTIP REPLY) through both doors: `coaching inbound` over SMTP, and IMAP (Dovecot).

Replies are made with icalendar in the shapes Outlook and Google send (PARTSTAT, SEQUENCE,
no RECURRENCE-ID; Google adds the same calendar as an invite.ics attachment). Each changes
the participant's answer once; the same reply twice changes nothing; forged ones change nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import smtplib
import subprocess
import sys
import time
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import icalendar
import pytest
from sqlalchemy import select

from config.settings import PROJECT_ROOT, Settings
from scheduler import inbound
from scheduler.db import Database
from scheduler.models import CoachingSession, OutboxMessage, Role, User
from scheduler.services.messaging import outbox, replies
from tests.scheduler.conftest import Sessions, free_port, make_settings
from tests.scheduler.dovecot import ImapServer, imap_server

__all__ = ["imap_server"]

START = dt.datetime(2027, 5, 10, 8, 0, tzinfo=dt.UTC)
ORGANISER = "organiser@programme.example"


def reply_mail(
    uid: str, attendee: str, partstat: str, *, sequence: int | None = 0, client: str = "outlook",
    comment: str = "", recurrence: bool = False, name: str = "Someone",
) -> bytes:
    """A REPLY e-mail as Outlook or Google writes it."""
    cal = icalendar.Calendar()
    cal.add("PRODID", "Microsoft Exchange Server 2010" if client == "outlook" else "-//Google Inc//Google Calendar 70.9054//EN")
    cal.add("VERSION", "2.0")
    cal.add("METHOD", "REPLY")
    event = icalendar.Event()
    person = icalendar.vCalAddress(f"mailto:{attendee}")
    person.params["PARTSTAT"] = icalendar.vText(partstat)
    person.params["CN"] = icalendar.vText(name)
    if client == "google":
        person.params["CUTYPE"] = icalendar.vText("INDIVIDUAL")
        person.params["ROLE"] = icalendar.vText("REQ-PARTICIPANT")
        person.params["X-NUM-GUESTS"] = icalendar.vText("0")
        event.add("ORGANIZER", icalendar.vCalAddress(f"mailto:{ORGANISER}"))
    event.add("ATTENDEE", person)
    event.add("UID", uid)
    if sequence is not None:
        event.add("SEQUENCE", sequence)
    event.add("DTSTAMP", dt.datetime.now(dt.UTC))
    event.add("DTSTART", START)
    event.add("DTEND", START + dt.timedelta(hours=1))
    event.add("SUMMARY", f"{partstat.title()}: Coaching session")
    if comment:
        event.add("COMMENT", comment)
    if recurrence:
        event.add("RECURRENCE-ID", START)
    cal.add_component(event)
    data = cal.to_ical()

    message = EmailMessage()
    message["From"] = f"{name} <{attendee}>"
    message["To"] = ORGANISER
    message["Subject"] = f"{partstat.title()}: Coaching session"
    message["Message-ID"] = make_msgid(domain="members.example")
    message.set_content(f"{name} has {partstat.lower()} this invitation.")
    message.add_alternative(f"<p>{name} has {partstat.lower()} this invitation.</p>", subtype="html")
    message.add_attachment(data, maintype="text", subtype="calendar", params={"method": "REPLY"})
    if client == "google":
        message.add_attachment(data, maintype="application", subtype="ics", filename="invite.ics")
    return message.as_bytes(policy=policy.SMTP)  # CRLF, as it travels


def _live(database: Database, sessions: Sessions) -> tuple[int, str, str, str]:
    """A live session and a supervisor: (session id, UID, coach address, coachee address)."""
    with database.sessions() as db, db.begin():
        session = sessions.add(db, START)
        if db.scalar(select(User).where(User.role == Role.SUPERVISOR.value)) is None:
            db.add(User(email="supervisor@programme.example", role=Role.SUPERVISOR.value))
        return session.id, session.calendar_uid, session.coach.email, session.engagement.request.coachee_email


def _answers(database: Database, session_id: int) -> tuple[str | None, str | None]:
    with database.sessions() as db:
        session = db.get_one(CoachingSession, session_id)
        return session.coach_answer, session.coachee_answer


def _notices(database: Database) -> list[tuple[str, str]]:
    with database.sessions() as db:
        rows = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == outbox.ANSWER).order_by(OutboxMessage.id))
        return [(r.recipient_role, r.payload.get("answer", "")) for r in rows]


def _settings(tmp_path: Path, database: Database, **overrides: object) -> Settings:
    return make_settings(tmp_path, database.url, **{"inbound_replies": "smtp", **overrides})


@pytest.fixture
def listener(sqlite_db: Database, tmp_path: Path) -> Iterator[tuple[int, list[list[int]]]]:
    """`coaching inbound`'s listener in this process; dispatched notice ids are collected."""
    dispatched: list[list[int]] = []
    port = free_port()
    controller = inbound.reply_listener(sqlite_db, _settings(tmp_path, sqlite_db), host="127.0.0.1", port=port,
                                        dispatch=dispatched.append)
    controller.start()
    yield port, dispatched
    controller.stop()


def _send(port: int, raw: bytes, recipient: str = ORGANISER) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail("someone@members.example", [recipient], raw)


def test_a_google_decline_over_smtp_tells_the_others_once(
    sqlite_db: Database, sessions: Sessions, listener: tuple[int, list[list[int]]]
) -> None:
    port, dispatched = listener
    session_id, uid, _, coachee = _live(sqlite_db, sessions)
    raw = reply_mail(uid, coachee.upper(), "DECLINED", client="google", name="Zoë")
    _send(port, raw)
    assert _answers(sqlite_db, session_id) == (None, "declined")
    assert sorted(_notices(sqlite_db)) == [("coach", "declined"), ("coachee", "declined"), ("supervisor", "declined")]
    assert len(dispatched) == 1 and len(dispatched[0]) == 3
    _send(port, raw)  # the same reply again
    assert _answers(sqlite_db, session_id) == (None, "declined")
    assert len(_notices(sqlite_db)) == 3 and len(dispatched) == 1, "the second copy changes nothing"
    with sqlite_db.sessions() as db:
        assert db.get_one(CoachingSession, session_id).status == "scheduled", "a reply alone cancels nothing"


def test_the_listener_takes_mail_for_the_organizer_only(
    sqlite_db: Database, sessions: Sessions, listener: tuple[int, list[list[int]]]
) -> None:
    port, _ = listener
    _, uid, coach, _ = _live(sqlite_db, sessions)
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        _send(port, reply_mail(uid, coach, "ACCEPTED"), recipient="someone-else@programme.example")


def test_an_outlook_accept_marks_the_coach_and_tells_nobody(sqlite_db: Database, sessions: Sessions) -> None:
    session_id, uid, coach, _ = _live(sqlite_db, sessions)
    with sqlite_db.sessions() as db, db.begin():
        (result,) = replies.handle_reply_mail(db, reply_mail(uid, coach, "ACCEPTED", client="outlook"))
    assert result.outcome == replies.Outcome.APPLIED
    assert _answers(sqlite_db, session_id) == ("accepted", None)
    assert _notices(sqlite_db) == []


def test_tentative_tells_the_others_only_with_a_comment(sqlite_db: Database, sessions: Sessions) -> None:
    session_id, uid, coach, _ = _live(sqlite_db, sessions)
    with sqlite_db.sessions() as db, db.begin():
        replies.handle_reply_mail(db, reply_mail(uid, coach, "TENTATIVE"))
    assert _answers(sqlite_db, session_id) == ("tentative", None) and _notices(sqlite_db) == []
    with sqlite_db.sessions() as db, db.begin():
        db.get_one(CoachingSession, session_id).coach_answer = None
    with sqlite_db.sessions() as db, db.begin():
        replies.handle_reply_mail(db, reply_mail(uid, coach, "TENTATIVE", comment="I may be travelling"))
    assert sorted(_notices(sqlite_db)) == [("coachee", "tentative"), ("supervisor", "tentative")]
    with sqlite_db.sessions() as db:
        assert all("comment" in r.payload for r in db.scalars(select(OutboxMessage)))


def test_forged_or_stale_replies_change_nothing_and_log_nothing_personal(
    sqlite_db: Database, sessions: Sessions, caplog: pytest.LogCaptureFixture
) -> None:
    session_id, uid, _, coachee = _live(sqlite_db, sessions)
    with sqlite_db.sessions() as db, db.begin():
        db.get_one(CoachingSession, session_id).sequence = 2  # moved twice since the first invitation
    forged = {
        "wrong attendee": reply_mail(uid, "intruder@elsewhere.example", "DECLINED"),
        "unknown UID": reply_mail("no-such-uid@coaching-scheduler", coachee, "DECLINED"),
        "old SEQUENCE": reply_mail(uid, coachee, "DECLINED", sequence=1),
        "SEQUENCE absent (0)": reply_mail(uid, coachee, "DECLINED", sequence=None),
        "RECURRENCE-ID": reply_mail(uid, coachee, "DECLINED", sequence=2, recurrence=True),
        "not a reply": b"From: a@members.example\r\nSubject: hello\r\n\r\nno calendar here\r\n",
    }
    caplog.set_level(logging.INFO, logger="scheduler.services.messaging.replies")
    for what, raw in forged.items():
        with sqlite_db.sessions() as db, db.begin():
            results = replies.handle_reply_mail(db, raw)
        assert [r.outcome for r in results] == [replies.Outcome.IGNORED], what
    assert _answers(sqlite_db, session_id) == (None, None)
    assert _notices(sqlite_db) == []
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "ignored" in logged
    assert "@" not in logged and uid not in logged and "Someone" not in logged
    # The paired case: the same reply at the current SEQUENCE is acted on.
    with sqlite_db.sessions() as db, db.begin():
        (result,) = replies.handle_reply_mail(db, reply_mail(uid, coachee, "DECLINED", sequence=2))
    assert result.outcome == replies.Outcome.APPLIED and _answers(sqlite_db, session_id) == (None, "declined")


def test_replies_read_from_a_real_imap_mailbox(
    sqlite_db: Database, sessions: Sessions, imap_server: ImapServer, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, sqlite_db, inbound_replies="imap", imap_host=imap_server.host,
                         imap_port=imap_server.port, imap_security="none", imap_user=imap_server.user,
                         imap_password=imap_server.password)
    session_id, uid, coach, coachee = _live(sqlite_db, sessions)
    dispatched: list[list[int]] = []
    imap_server.deliver(reply_mail(uid, coach, "ACCEPTED", client="outlook"))
    decline = reply_mail(uid, coachee, "DECLINED", client="google")
    imap_server.deliver(decline)
    assert inbound.poll_mailbox(sqlite_db, settings, dispatch=dispatched.append) == 2
    assert _answers(sqlite_db, session_id) == ("accepted", "declined")
    assert imap_server.unseen() == 0, "handled messages are flagged seen"
    assert inbound.poll_mailbox(sqlite_db, settings, dispatch=dispatched.append) == 0
    imap_server.deliver(decline)  # the same reply delivered twice
    assert inbound.poll_mailbox(sqlite_db, settings, dispatch=dispatched.append) == 1
    assert _answers(sqlite_db, session_id) == ("accepted", "declined")
    assert len(_notices(sqlite_db)) == 3 and len(dispatched) == 1


@pytest.mark.timeout(60)
def test_coaching_inbound_command_takes_a_reply_over_smtp(
    sqlite_db: Database, sessions: Sessions, tmp_path: Path
) -> None:
    session_id, uid, coach, _ = _live(sqlite_db, sessions)
    port = free_port()
    env = {**os.environ, "APP_ENV": "testing", "DATABASE_URL": sqlite_db.url, "VAR_DIR": str(tmp_path / "var"),
           "CELERY_BROKER_URL": f"sqla+sqlite:///{tmp_path / 'broker.db'}", "SECRET_KEY": "test-secret-key",
           "PYTHONPATH": str(PROJECT_ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "scheduler.cli", "inbound", "--host", "127.0.0.1",
                                "--port", str(port)], env=env, cwd=PROJECT_ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                smtplib.SMTP("127.0.0.1", port, timeout=2).quit()
                break
            except OSError:
                assert process.poll() is None, process.communicate()[0].decode()[-2000:]
                assert time.monotonic() < deadline, "coaching inbound did not listen"
                time.sleep(0.2)
        raw = reply_mail(uid, coach, "DECLINED", client="outlook")
        _send(port, raw)
        _send(port, raw)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert _answers(sqlite_db, session_id) == ("declined", None)
    assert sorted(_notices(sqlite_db)) == [("coachee", "declined"), ("supervisor", "declined")]
