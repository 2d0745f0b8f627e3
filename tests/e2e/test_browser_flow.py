"""The whole story in a real browser: a coachee in Tokyo asks, the supervisor solves and
approves, the coachee sees the sessions in Tokyo time, accepts and moves one, and the coach
in Brussels sees the change in Brussels time. Screenshots of each step go to artifacts/."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from scheduler.models import CoachingRequest, CoachingSession, Engagement, OutboxMessage, Supervisor
from scheduler.services.accounts import users
from tests.e2e.browser_site import Site, serve
from tests.e2e.browser_support import PHONE, screenshot
from tests.web.conftest import PASSWORD, make_coach, make_programme

pytestmark = pytest.mark.timeout(600)

TOKYO, BRUSSELS = ZoneInfo("Asia/Tokyo"), ZoneInfo("Europe/Brussels")
WHEN = "%a %d %b %Y, %H:%M"


@pytest.fixture
def programme_site(tmp_path: Path) -> Iterator[Site]:
    """One programme, one coach in Brussels (weekdays 09:00-17:00 there), one supervisor."""
    for database, app, server in serve(tmp_path, celery_task_always_eager=True, solver_time_limit=5.0):
        live = Site(server.url, database, app)
        with database.sessions() as db:
            programme = make_programme(db)
            coach = make_coach(db, programme, email="bo@coaches.example", name="Bo Coach", timezone="Europe/Brussels")
            user = users.create_user(db, "sam@programme.example", "supervisor", PASSWORD)
            db.add(Supervisor(programme_id=programme.id, name="Sam Supervisor", email=user.email, user_id=user.id))
            db.commit()
        live.people = {"coach": (coach.email, PASSWORD), "supervisor": (user.email, PASSWORD)}
        yield live


def sign_in(page: Any, live: Site, who: str) -> None:
    email, password = live.people[who]
    page.goto(f"{live.url}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def scheduled_sessions(live: Site) -> list[CoachingSession]:
    with live.database.sessions() as db:
        return list(
            db.scalars(
                select(CoachingSession).where(CoachingSession.status == "scheduled").order_by(CoachingSession.start_utc)
            )
        )


def _link_in_mail(mail_dir: Path, recipient: str) -> str:
    """The private status link in the e-mail sent to `recipient`."""
    for path in mail_dir.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"].addresses[0].addr_spec == recipient:
            found = re.search(r"https?://\S+/r/[\w-]+", message.get_body(("plain",)).get_content())
            if found:
                return found.group(0)
    raise AssertionError(f"no e-mail with a status link to {recipient} in {mail_dir}")


def test_request_solve_approve_reschedule_seen_by_coach(browser: Any, programme_site: Site) -> None:
    live = programme_site

    # 1. The coachee, in Tokyo, asks on a phone; the form picks up their timezone.
    coachee = browser.new_context(viewport=PHONE, timezone_id="Asia/Tokyo", locale="en-GB")
    page = coachee.new_page()
    page.goto(f"{live.url}/request")
    assert page.input_value("#timezone") == "Asia/Tokyo"
    page.fill("#coachee_name", "Kei Tanaka")
    page.fill("#coachee_email", "kei@coachees.example")
    page.check("input[name=topics][value=career]")
    page.select_option("#language_1", "en")
    page.select_option("#sessions_wanted", "2")
    for day in ("mon", "tue", "wed", "thu", "fri"):
        page.fill(f"#windows_{day}", "17:00-23:00")  # 09:00-15:00 in Brussels
    page.check("#consent")
    screenshot(page, "flow-1-request-form-390")
    page.click("main button[type=submit]")
    page.wait_for_url("**/request/sent")
    screenshot(page, "flow-2-request-sent-390")
    with live.database.sessions() as db:
        request = db.scalar(select(CoachingRequest))
        assert request is not None and request.timezone == "Asia/Tokyo"
    # The confirmation e-mail was sent when the form's unit of work committed: follow its link.
    sent_link = _link_in_mail(Path(live.app.config["SETTINGS"].mail_dir), "kei@coachees.example")
    status_page = f"{live.url}/r/{sent_link.rsplit('/r/', 1)[1]}"
    page.goto(status_page)
    assert "number 1" in page.inner_text("main")
    screenshot(page, "flow-3-status-waiting-390")

    # 2. The supervisor runs the solver and approves the draft.
    supervisor = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="Europe/Brussels")
    desk = supervisor.new_page()
    sign_in(desk, live, "supervisor")
    desk.goto(f"{live.url}/supervisor/")
    desk.click("form[action$='/supervisor/solve'] button[type=submit]")
    desk.wait_for_load_state()
    screenshot(desk, "flow-4-supervisor-solve-1280")
    desk.goto(f"{live.url}/supervisor/draft")
    assert "Kei Tanaka" in desk.inner_text("main") or "Bo Coach" in desk.inner_text("main")
    screenshot(desk, "flow-5-supervisor-draft-1280")
    desk.click("form[action$='/supervisor/draft/approve'] button[name=all]")
    desk.wait_for_load_state()
    with live.database.sessions() as db:
        engagement = db.scalar(select(Engagement))
        assert engagement is not None and engagement.status == "approved"
    sessions = scheduled_sessions(live)
    assert len(sessions) == 2

    # 3. The coachee sees coach and sessions in Tokyo time, with the timezone named, and accepts.
    page.goto(status_page)
    main = page.inner_text("main")
    assert "Bo Coach" in main and "Asia/Tokyo" in main
    for session in sessions:
        assert session.start_utc.astimezone(TOKYO).strftime(WHEN) in main
    screenshot(page, "flow-6-status-proposed-390")
    page.click("text=Accept coach and sessions")
    page.wait_for_load_state()
    assert "your sessions are confirmed" in page.inner_text("main")

    # 4. ... and moves the second session to another free time of the coach.
    moving = sessions[1]
    page.click("text=Move session 2")
    page.wait_for_url("**/reschedule")
    screenshot(page, "flow-7-reschedule-390")
    options = page.locator("input[name=start]")
    assert options.count() >= 1
    options.first.check()
    chosen = options.first.get_attribute("value")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert "Your session has moved" in page.inner_text("main")
    with live.database.sessions() as db:
        moved = db.get(CoachingSession, moving.id)
        assert moved is not None
        assert moved.start_utc.strftime("%Y-%m-%dT%H:%MZ") == chosen and moved.sequence == 1
        assert moved.start_utc != moving.start_utc
        updates = db.scalars(
            select(OutboxMessage).where(OutboxMessage.session_id == moved.id, OutboxMessage.sequence == 1)
        ).all()
        assert {m.recipient_role for m in updates} == {"coach", "coachee"}
    assert moved.start_utc.astimezone(TOKYO).strftime(WHEN) in page.inner_text("main")
    screenshot(page, "flow-8-status-moved-390")
    coachee.close()

    # 5. The coach, in Brussels, sees the moved session in Brussels time.
    coach = browser.new_context(viewport=PHONE, timezone_id="Europe/Brussels")
    desk_coach = coach.new_page()
    sign_in(desk_coach, live, "coach")
    text = desk_coach.inner_text("main")
    assert moved.start_utc.astimezone(BRUSSELS).strftime(WHEN) in text
    assert moving.start_utc.astimezone(BRUSSELS).strftime(WHEN) not in text
    assert "Europe/Brussels" in text and "Moved" in text
    assert moved.start_utc > dt.datetime.now(dt.UTC)
    screenshot(desk_coach, "flow-9-coach-sessions-390")
    coach.close()
    supervisor.close()
