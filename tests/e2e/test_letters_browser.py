"""Every letter we send, as the HTML part that reaches people, in Debian's Chromium.

The letters are made the real way (outbox rows composed and written by the file backend),
then each HTML part is shown at phone and desktop width, light and dark: axe-core finds no
WCAG 2.1 A/AA problem, nothing scrolls sideways, and a screenshot of each is saved under
artifacts/letters/.
"""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy import select

from scheduler.db import Database
from scheduler.models import CoachingSession, Role, User
from scheduler.services.messaging import delivery, outbox, replies
from tests.e2e.browser_support import ARTIFACTS, DESKTOP, PHONE, check_accessibility, check_fits_width
from tests.scheduler.conftest import Sessions, make_settings
from tests.scheduler.test_inbound import reply_mail

START = dt.datetime(2027, 4, 12, 15, 0, tzinfo=dt.UTC)


def _letters(database: Database, tmp_path: Path) -> dict[str, EmailMessage]:
    """One of each letter, composed and written as .eml files; keyed by a readable name."""
    sessions = Sessions()
    settings = make_settings(tmp_path, database.url, inbound_replies="smtp")
    with database.sessions() as db, db.begin():
        video = sessions.add(db, START, coach_tz="Europe/Brussels", coachee_tz="America/New_York")
        video.coach.meeting_url = "https://video.example/rooms/coach-anna"
        video.coach.meeting_note = "The room opens five minutes before."
        office = sessions.add(db, START + dt.timedelta(days=14), coach_tz="Europe/Brussels",
                              coachee_tz="Europe/Brussels")
        office.coach.meeting_address = "Rue de la Loi 16\n1000 Brussels"
        db.add(User(email="supervisor@programme.example", role=Role.SUPERVISOR.value))
        db.flush()
        outbox.enqueue_session_messages(db, video, outbox.REQUEST)
        outbox.enqueue_session_messages(db, office, outbox.REMINDER)
        outbox.enqueue_status_link(db, video.engagement.request, "status-token-for-the-screenshot")
        outbox.enqueue_coach_invitation(db, 999, "new.coach@coaches.example", "Noor Coach", "set-password-token")
        uid, coachee = video.calendar_uid, video.engagement.request.coachee_email
    with database.sessions() as db, db.begin():
        replies.handle_reply_mail(db, reply_mail(uid, coachee, "DECLINED", client="google", name="Zoë"))
    assert delivery.deliver_all_pending(database, settings)[1] == 0
    with database.sessions() as db, db.begin():  # the office session moves (an update), then is cancelled
        session = db.scalars(select(CoachingSession).order_by(CoachingSession.id.desc())).first()
        assert session is not None
        session.sequence += 1
        session.start_utc += dt.timedelta(hours=2)
        session.end_utc += dt.timedelta(hours=2)
        outbox.enqueue_session_messages(db, session, outbox.REQUEST)
    assert delivery.deliver_all_pending(database, settings)[1] == 0
    with database.sessions() as db, db.begin():
        session = db.scalars(select(CoachingSession).order_by(CoachingSession.id.desc())).first()
        assert session is not None
        session.status = "cancelled"
        session.sequence += 1
        outbox.enqueue_session_messages(db, session, outbox.CANCEL)
    assert delivery.deliver_all_pending(database, settings)[1] == 0

    found: dict[str, EmailMessage] = {}
    for path in sorted(Path(settings.mail_dir).glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        to = message["To"].addresses[0].addr_spec.split("@")[0].rstrip("0123456789").replace(".", "-")
        kind = str(message["Subject"]).split(":")[0].lower().replace(" ", "-")
        found.setdefault(f"{kind}-to-{to}", message)
    return found


def test_every_letter_reads_well_on_a_phone_and_a_desktop_in_light_and_dark(
    browser: Any, axe: Path, sqlite_url: str, tmp_path: Path
) -> None:
    database = Database(sqlite_url)
    try:
        letters = _letters(database, tmp_path)
    finally:
        database.dispose()
    expected = {"invitation-to-coach", "invitation-to-coachee", "reminder-to-coachee", "updated-to-coach",
                "cancelled-to-coachee", "your-coaching-request-to-coachee", "you-are-invited-to-coach-in-our-programme"
                "-to-new-coach", "declined-to-supervisor", "declined-to-coach", "declined-to-coachee"}
    assert expected <= set(letters), sorted(letters)
    folder = ARTIFACTS / "letters"
    folder.mkdir(parents=True, exist_ok=True)
    # One page per way of reading, reused for every letter. Phone and dark are checked with
    # axe-core (colours differ in dark mode); the desktop view is saved for people to look at.
    views = {
        ("phone", "light"): (PHONE, True),
        ("phone", "dark"): (PHONE, True),
        ("desktop", "light"): (DESKTOP, False),
        ("desktop", "dark"): (DESKTOP, False),
    }
    pages: dict[tuple[str, str], Any] = {}
    outside: list[str] = []

    def refuse(route: Any) -> None:
        outside.append(route.request.url)
        route.abort()

    for (label, scheme), (viewport, _) in views.items():
        context = browser.new_context(viewport=viewport, color_scheme=scheme, bypass_csp=True)
        pages[(label, scheme)] = context.new_page()
        # Letters load nothing from elsewhere: every request is refused and noted.
        pages[(label, scheme)].route("**/*", refuse)
    try:
        for name in sorted(expected):
            html_part = letters[name].get_body(("html",))
            assert html_part is not None
            html = html_part.get_content()
            assert '<html lang="en">' in html and "<h1>" in html
            assert 'name="color-scheme" content="light dark"' in html
            for (label, scheme), (_, audited) in views.items():
                page = pages[(label, scheme)]
                page.set_content(html, wait_until="load")
                check_fits_width(page, f"{name} {label} {scheme}")
                if audited:
                    check_accessibility(page, axe, f"{name} {label} {scheme}")
                texts = page.eval_on_selector_all("a", "links => links.map(a => a.textContent.trim())")
                assert all(len(t) > 3 and not t.endswith(":") for t in texts), texts
                page.screenshot(path=str(folder / f"{name}-{label}-{scheme}.png"), full_page=True)
    finally:
        for page in pages.values():
            page.context.close()
    assert not outside, outside
