"""The programme's year in a real browser: the supervisor plans group supervision and approves it,
the coach gets the invitation and sees it in their feed and sessions page, marks a session held,
the coachee leaves feedback by private link, and it appears in the report (axe-core clean)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from scheduler.models import Coach, Supervisor
from scheduler.services.accounts import users
from scheduler.services.attendance.models import SessionAttendance
from scheduler.services.coaches import feeds
from scheduler.services.feedback import operations as feedback
from scheduler.services.messaging.delivery import deliver_all_pending
from scheduler.services.supervision_sessions.models import SupervisionSession
from tests.e2e.browser_site import Site, serve
from tests.e2e.browser_support import PHONE, check_accessibility, check_fits_width, screenshot
from tests.e2e.test_browser_flow import sign_in
from tests.web.conftest import PASSWORD, make_coach, make_programme, make_request, propose

pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def year_site(tmp_path: Path) -> Iterator[Site]:
    """A coach in Brussels far over their hours limit, with an engagement whose sessions are over."""
    for database, app, server in serve(tmp_path):
        live = Site(server.url, database, app)
        with database.sessions() as db:
            programme = make_programme(db)
            coach = make_coach(db, programme, email="bo@coaches.example", name="Bo Coach", timezone="Europe/Brussels")
            db.get_one(Coach, coach.coach_id).coaching_hours_since_supervision = 99.0
            request, _ = make_request(db, programme, coachee_name="Kei Tanaka", coachee_email="kei@coachees.example")
            start = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) - dt.timedelta(days=15)
            engagement = propose(db, request, coach.coach_id, [start, start + dt.timedelta(days=7)])
            live.ids["session"] = engagement.sessions[0].id
            user = users.create_user(db, "sam@programme.example", "supervisor", PASSWORD)
            db.add(Supervisor(programme_id=programme.id, name="Sam Supervisor", email=user.email, user_id=user.id))
            db.commit()
        live.people = {"coach": (coach.email, PASSWORD), "supervisor": (user.email, PASSWORD)}
        yield live


def _mails(live: Site, recipient: str) -> list[email.message.EmailMessage]:
    out = []
    for path in Path(live.app.config["SETTINGS"].mail_dir).glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"].addresses[0].addr_spec == recipient:
            out.append(message)
    return out


def test_supervision_attendance_feedback_and_report(browser: Any, axe: Path, year_site: Site) -> None:
    live = year_site
    settings = live.app.config["SETTINGS"]

    # 1. The supervisor sets their free time, plans group supervision and approves it.
    office = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="Europe/Brussels", bypass_csp=True)
    desk = office.new_page()
    sign_in(desk, live, "supervisor")
    desk.goto(f"{live.url}/supervisor/supervision-sessions/")
    desk.fill("#timezone", "Europe/Brussels")
    desk.fill("#weekly", "mon 09:00-17:00; tue 09:00-17:00; wed 09:00-17:00; thu 09:00-17:00; fri 09:00-17:00")
    desk.fill("#session_minutes", "90")
    desk.fill("#max_group_size", "4")
    desk.click("form[action$='/supervision-sessions/'] button[type=submit]")
    desk.wait_for_load_state()
    assert "settings are saved" in desk.inner_text("main")
    desk.click("form[action$='/plan'] button[type=submit]")
    desk.wait_for_load_state()
    assert "Bo Coach" in desk.inner_text("main")
    check_accessibility(desk, axe, "group supervision")
    screenshot(desk, "year-1-supervision-proposed-1280")
    desk.click("form[action$='/approve'] button[type=submit]")
    desk.wait_for_load_state()
    assert "the coaches are invited" in desk.inner_text("main")
    with live.database.sessions() as db:
        [supervision] = db.scalars(select(SupervisionSession)).all()
        assert supervision.status == "approved"

    # 2. The coach receives the invitation (iCalendar REQUEST) and finds it in their feed.
    deliver_all_pending(live.database, settings)
    [invitation] = [m for m in _mails(live, "bo@coaches.example") if m["Subject"] == "Invitation: group supervision"]
    assert any(part.get_content_type() == "text/calendar" for part in invitation.walk())
    with live.database.sessions() as db:
        token = feeds.issue_feed_token(db, db.scalars(select(Coach)).one())
        db.commit()
    feed = browser.new_context().request.get(f"{live.url}/feeds/{token}.ics")
    assert feed.ok and "Group supervision" in feed.text() and supervision.calendar_uid in feed.text().replace("\r\n ", "")

    # 3. The coach sees the supervision on their sessions page and marks an ended session held.
    phone = browser.new_context(viewport=PHONE, timezone_id="Europe/Brussels", bypass_csp=True)
    page = phone.new_page()
    sign_in(page, live, "coach")
    assert "Group supervision:" in page.inner_text("main")
    page.click("text=Mark sessions held, no-show or cancelled late")
    page.wait_for_url("**/coach/attendance")
    check_accessibility(page, axe, "attendance")
    check_fits_width(page, "attendance at 390 px")
    page.locator(f"form[action$='/coach/attendance/{live.ids['session']}'] button[value=held]").click()
    page.wait_for_load_state()
    assert "Recorded: held" in page.inner_text("main")
    with live.database.sessions() as db:
        assert db.get_one(SessionAttendance, live.ids["session"]).outcome == "held"
    screenshot(page, "year-2-attendance-390")

    # 4. The coachee's engagement is over: the feedback link arrives and they answer.
    with live.database.sessions() as db:
        assert feedback.send_due_feedback_forms(db) == 1
        db.commit()
    deliver_all_pending(live.database, settings)
    [letter] = [m for m in _mails(live, "kei@coachees.example") if m["Subject"] == "How was your coaching?"]
    link = re.search(r"https?://\S+/feedback/[\w-]+", letter.get_body(("plain",)).get_content())
    assert link
    coachee = browser.new_context(viewport=PHONE, bypass_csp=True).new_page()
    coachee.goto(f"{live.url}/feedback/{link.group(0).rsplit('/', 1)[1]}")
    check_accessibility(coachee, axe, "feedback form")
    coachee.check("#rating-5")
    coachee.check("#recommend-yes")
    coachee.fill("#comment", "Bo helped me find my next step.")
    coachee.click("main button[type=submit]")
    coachee.wait_for_load_state()
    assert "your feedback is recorded" in coachee.inner_text("main")

    # 5. The supervisor's report shows it; charts are drawn on the page, nothing from another origin.
    external: list[str] = []
    desk.on("request", lambda r: external.append(r.url) if not r.url.startswith(live.url) else None)
    desk.goto(f"{live.url}/supervisor/report/")
    main = desk.inner_text("main")
    assert "1 answers; average 5.0 of 5; 100% would recommend" in main
    assert "No-show rate: 0.0% of 1 sessions recorded." in main
    assert desk.locator("svg.chart").count() >= 5
    check_accessibility(desk, axe, "programme report")
    screenshot(desk, "year-3-report-1280")
    narrow = browser.new_context(viewport=PHONE, bypass_csp=True).new_page()
    sign_in(narrow, live, "supervisor")
    narrow.goto(f"{live.url}/supervisor/report/")
    check_accessibility(narrow, axe, "programme report at 390 px")
    check_fits_width(narrow, "programme report at 390 px")
    assert external == []
    for context in (office, phone):
        context.close()
