"""Where to meet: validated places, LOCATION and CONFERENCE identical in mail and feed, read by
icalendar, vobject and ical.js; a moved place is a new SEQUENCE to both people."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import icalendar
import pytest
import vobject
from sqlalchemy import select

from config.settings import PROJECT_ROOT, Settings
from scheduler.db import Database
from scheduler.invites.places import Place, PlaceError, meeting_place
from scheduler.models import Coach, CoachingSession, OutboxMessage
from scheduler.services.coaches import feeds
from scheduler.services.messaging import delivery, outbox, places
from tests.scheduler.conftest import Sessions
from tests.scheduler.invite_checks import calendar_bytes
from tests.servers import in_ci

START = dt.datetime(2027, 6, 14, 9, 0, tzinfo=dt.UTC)
ROOM = "https://video.example/rooms/anna?pwd=abc"
ICALJS_VERSION = "2.2.1"
ICALJS_PREFIX = PROJECT_ROOT / "var" / "node-icaljs"
ICALJS = ICALJS_PREFIX / "node_modules" / "ical.js" / "dist" / "ical.es5.cjs"


@pytest.mark.parametrize(
    ("url", "address", "note", "field"),
    [
        ("http://video.example/room", None, None, "meeting_url"),
        ("javascript:alert(1)", None, None, "meeting_url"),
        ("https://user:pw@video.example/room", None, None, "meeting_url"),
        ("https://video.example/room\r\nX-Evil: 1", None, None, "meeting_url"),
        (ROOM, "Rue de la Loi 16", None, "meeting_address"),
        (None, None, "a note alone", "meeting_note"),
        (None, "x" * 501, None, "meeting_address"),
        (None, "Rue\x00 16", None, "meeting_address"),
    ],
)
def test_a_place_that_cannot_be_used_is_refused_naming_the_field(
    url: str | None, address: str | None, note: str | None, field: str
) -> None:
    with pytest.raises(PlaceError) as refused:
        meeting_place(url, address, note)
    assert refused.value.field == field


def test_a_video_room_or_an_address_with_a_note_is_accepted() -> None:
    assert meeting_place(f" {ROOM} ", "", "Camera on, please") == Place(url=ROOM, note="Camera on, please")
    assert meeting_place(None, "Rue de la Loi 16\r\n1000 Brussels", None) == Place(address="Rue de la Loi 16\n1000 Brussels")
    assert Place(address="Rue de la Loi 16\n1000 Brussels").location == "Rue de la Loi 16, 1000 Brussels"
    assert meeting_place("", "", "") is None


def _icaljs() -> Path:
    if ICALJS.exists():
        return ICALJS
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        reason = "node and npm are needed to check with ical.js"
        if in_ci():
            pytest.fail(f"{reason}, and CI=true requires it")
        pytest.skip(reason)
    result = subprocess.run(
        [npm, "install", "--prefix", str(ICALJS_PREFIX), "--no-save", "--no-audit", "--no-fund", "--no-package-lock",
         f"ical.js@{ICALJS_VERSION}"], capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if result.returncode != 0 or not ICALJS.exists():
        pytest.fail(f"npm could not install ical.js@{ICALJS_VERSION}: {result.stderr[-500:]}")
    return ICALJS


def _icaljs_events(data: bytes) -> list[dict[str, object]]:
    script = Path(__file__).with_name("icaljs_parse.cjs")
    result = subprocess.run(["node", str(script), str(_icaljs())], input=data, capture_output=True, timeout=60,
                            check=True)
    parsed: list[dict[str, object]] = json.loads(result.stdout)
    return parsed


def _mail_events(settings: Settings) -> dict[str, tuple[EmailMessage, icalendar.Event]]:
    found = {}
    for path in sorted(Path(settings.mail_dir).glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        event = icalendar.Calendar.from_ical(calendar_bytes(message)).walk("VEVENT")[0]
        found[f"{message['To'].addresses[0].username}:{event['UID']}:{int(event['SEQUENCE'])}"] = (message, event)
        path.unlink()
    return found


def test_the_place_is_the_same_in_mail_and_feed_and_every_parser_reads_it(
    sqlite_db: Database, file_settings: Settings, sessions: Sessions
) -> None:
    with sqlite_db.sessions() as db, db.begin():
        session = sessions.add(db, START)
        session.coach.meeting_url = ROOM
        session.coach.meeting_note = "The room opens at 10:55"
        outbox.enqueue_session_messages(db, session, outbox.REQUEST)
        coach_id, uid = session.coach_id, session.calendar_uid
    assert delivery.deliver_all_pending(sqlite_db, file_settings) == (2, 0)
    mails = _mail_events(file_settings)
    with sqlite_db.sessions() as db:
        feed = feeds.coach_feed(db, db.get_one(Coach, coach_id), file_settings, now=START - dt.timedelta(days=1))
    feed_event = icalendar.Calendar.from_ical(feed).walk("VEVENT")[0]
    for message, event in mails.values():
        assert str(event["LOCATION"]) == str(feed_event["LOCATION"]) == ROOM
        assert str(event["CONFERENCE"]) == str(feed_event["CONFERENCE"]) == ROOM
        assert event["CONFERENCE"].params["FEATURE"] == "VIDEO" and event["CONFERENCE"].params["VALUE"] == "URI"
        for kind in ("plain", "html"):
            body = message.get_body((kind,))
            assert body is not None
            text = body.get_content()
            assert ROOM.replace("&", "&amp;") in text or ROOM in text
            assert "The room opens at 10:55" in text
        # vobject and ical.js read the same calendar bytes the client gets.
        raw = calendar_bytes(message)
        vevent = vobject.readOne(raw.decode()).vevent
        assert vevent.location.value == ROOM and vevent.conference.value == ROOM
        (js,) = _icaljs_events(raw)
        assert (js["uid"], js["location"], js["conference"], js["feature"]) == (uid, ROOM, ROOM, "VIDEO")
    (js_feed,) = _icaljs_events(feed)
    assert js_feed["location"] == ROOM and js_feed["conference"] == ROOM


def test_an_address_is_a_location_without_conference(
    sqlite_db: Database, file_settings: Settings, sessions: Sessions
) -> None:
    with sqlite_db.sessions() as db, db.begin():
        session = sessions.add(db, START)
        session.coach.meeting_address = "Rue de la Loi 16\n1000 Brussels"
        outbox.enqueue_session_messages(db, session, outbox.REQUEST)
    delivery.deliver_all_pending(sqlite_db, file_settings)
    for message, event in _mail_events(file_settings).values():
        assert str(event["LOCATION"]) == "Rue de la Loi 16, 1000 Brussels" and "CONFERENCE" not in event
        assert "1000 Brussels" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_a_moved_place_is_a_new_sequence_to_both_people_and_the_engagement_place_wins(
    sqlite_db: Database, file_settings: Settings, sessions: Sessions
) -> None:
    with sqlite_db.sessions() as db, db.begin():
        first = sessions.add(db, START)
        second = sessions.add(db, START + dt.timedelta(days=14), coach=first.coach)
        past = sessions.add(db, dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC), coach=first.coach)
        first.coach.meeting_url = ROOM
        for s in (first, second, past):
            outbox.enqueue_session_messages(db, s, outbox.REQUEST)
        ids = (first.id, second.id, past.id)
        coach_id, engagement_id = first.coach_id, first.engagement_id
    delivery.deliver_all_pending(sqlite_db, file_settings)
    _mail_events(file_settings)

    with sqlite_db.sessions() as db, db.begin():
        changed = places.set_coach_place(db, db.get_one(Coach, coach_id), None, "Rue Haute 1, Brussels", None,
                                         now=START - dt.timedelta(days=2))
        assert sorted(s.id for s in changed) == sorted(ids[:2]), "future live sessions only"
        unchanged = places.set_coach_place(db, db.get_one(Coach, coach_id), None, "Rue Haute 1, Brussels", None,
                                           now=START - dt.timedelta(days=2))
        assert unchanged == [], "the same place again changes nothing"
    with sqlite_db.sessions() as db:
        assert [db.get_one(CoachingSession, i).sequence for i in ids] == [1, 1, 0]
    delivery.deliver_all_pending(sqlite_db, file_settings)
    mails = _mail_events(file_settings)
    assert len(mails) == 4 and all(key.endswith(":1") for key in mails)
    assert {str(e["LOCATION"]) for _, e in mails.values()} == {"Rue Haute 1, Brussels"}

    # The supervisor's place for one engagement wins over the coach's, for that engagement alone.
    from scheduler.models import Engagement

    with sqlite_db.sessions() as db, db.begin():
        moved = places.set_engagement_place(db, db.get_one(Engagement, engagement_id), ROOM, None, None,
                                            now=START - dt.timedelta(days=2))
        assert [s.id for s in moved] == [ids[0]]
        assert db.scalar(select(OutboxMessage).where(OutboxMessage.session_id == ids[1],
                                                     OutboxMessage.sequence == 2)) is None
    delivery.deliver_all_pending(sqlite_db, file_settings)
    mails = _mail_events(file_settings)
    assert {str(e["LOCATION"]) for _, e in mails.values()} == {ROOM} and len(mails) == 2
