"""The coach's calendar feed: secret revocable URL, same UIDs and sequences as the e-mails."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
import vobject

from config.settings import Settings
from scheduler.db import Database
from scheduler.models import Coach, CoachingSession, SessionStatus
from scheduler.services.coaches import feeds
from scheduler.services.errors import Forbidden
from scheduler.services.messaging import delivery, outbox
from tests.scheduler.conftest import Sessions, SmtpServer
from tests.scheduler.invite_checks import only_event

NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


def test_feed_token_is_stored_hashed_and_revocable(sqlite_db: Database, sessions: Sessions) -> None:
    with sqlite_db.sessions() as db, db.begin():
        coach = sessions.add(db, NOW).coach
        token = feeds.issue_feed_token(db, coach)
        assert coach.feed_token_hash and token not in coach.feed_token_hash
        assert feeds.coach_for_feed_token(db, token).id == coach.id
        newer = feeds.issue_feed_token(db, coach)
        with pytest.raises(Forbidden):
            feeds.coach_for_feed_token(db, token)
        assert feeds.coach_for_feed_token(db, newer).id == coach.id
        feeds.revoke_feed_token(db, coach)
        with pytest.raises(Forbidden):
            feeds.coach_for_feed_token(db, newer)
        with pytest.raises(Forbidden):
            feeds.coach_for_feed_token(db, "")


def test_feed_lists_upcoming_and_cancelled_sessions_with_the_invites_uids_and_sequences(
    sqlite_db: Database, smtp_settings: Settings, smtp_server: SmtpServer, sessions: Sessions
) -> None:
    with sqlite_db.sessions() as db, db.begin():
        live = sessions.add(db, NOW + dt.timedelta(days=2))
        coach = live.coach
        moved = sessions.add(db, NOW + dt.timedelta(days=9), coach=coach)
        cancelled = sessions.add(db, NOW + dt.timedelta(days=16), coach=coach)
        sessions.add(db, NOW - dt.timedelta(days=5), coach=coach)  # past
        sessions.add(db, NOW + dt.timedelta(days=3), coach=coach, status=SessionStatus.DRAFT.value)
        for session in (live, moved, cancelled):
            outbox.enqueue_session_messages(db, session, outbox.REQUEST)
        moved.sequence, moved.start_utc, moved.end_utc = 1, moved.start_utc + dt.timedelta(hours=1), moved.end_utc + dt.timedelta(hours=1)
        cancelled.sequence, cancelled.status = 1, SessionStatus.CANCELLED.value
        db.flush()
        outbox.enqueue_session_messages(db, moved, outbox.REQUEST)
        outbox.enqueue_session_messages(db, cancelled, outbox.CANCEL)
        coach_id = coach.id
    delivery.deliver_all_pending(sqlite_db, smtp_settings)
    mailed: dict[str, int] = {}
    for item in smtp_server.received:
        if item.recipients == [f"coach{1}@coaches.example"]:
            _, event = only_event(item.message)
            mailed[str(event["UID"])] = max(mailed.get(str(event["UID"]), -1), int(event["SEQUENCE"]))

    with sqlite_db.sessions() as db:
        body = feeds.coach_feed(db, db.get_one(Coach, coach_id), smtp_settings, now=NOW)
        expected = {
            s.calendar_uid: (s.sequence, s.status)
            for s in db.query(CoachingSession).where(CoachingSession.id.in_([live.id, moved.id, cancelled.id]))
        }
    cal = icalendar.Calendar.from_ical(body)
    assert "METHOD" not in cal
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    assert set(events) == set(expected) == set(mailed)
    for uid, event in events.items():
        assert int(event["SEQUENCE"]) == expected[uid][0] == mailed[uid]
        assert str(event["STATUS"]) == ("CANCELLED" if expected[uid][1] == "cancelled" else "CONFIRMED")
        assert "Zoë" not in str(event["SUMMARY"])
    assert len(cal.walk("VTIMEZONE")) == 1
    # An independent parser reads the same instants.
    parsed = vobject.readOne(body.decode())
    starts = {str(v.uid.value): v.dtstart.value.astimezone(dt.UTC) for v in parsed.vevent_list}
    assert starts == {uid: e.decoded("DTSTART").astimezone(dt.UTC) for uid, e in events.items()}
    assert starts[moved.calendar_uid] == NOW + dt.timedelta(days=9, hours=1)
