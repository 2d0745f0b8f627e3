"""Coaches take new coachees as engagements end (issue 15), in a real browser.

With the programme setting on (the default for a new programme) and a coach who takes
one coachee at once: after the supervisor approves the first draft's first engagement
and solves again, the request that waited is placed with that coach after the approved
engagement's last session, the queue and the draft show when it starts, and the
coachee's status page says when they can expect to start. Pages stay axe-clean at
phone width.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from scheduler.models import CoachingRequest, Engagement, Programme, Supervisor
from scheduler.services.accounts import users
from tests.e2e.browser_site import serve
from tests.e2e.browser_support import (  # noqa: F401  (fixtures)
    PHONE,
    axe,
    browser,
    check_page,
)
from tests.web.conftest import PASSWORD, make_coach, make_programme, make_request
from tests.web.test_supervisor_browser import _signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One coach with room for one coachee at once, two waiting requests of two sessions."""
    for database, _app, server in serve(
        tmp_path_factory.mktemp("over-time"), celery_task_always_eager=True, solver_time_limit=3.0, solver_workers=1
    ):
        with database.sessions() as db:
            programme = make_programme(db)
            make_coach(db, programme, max_active_coachees=1)
            user = users.create_user(db, "sam@programme.example", "supervisor", PASSWORD)
            db.add(Supervisor(programme_id=programme.id, name="Sam Supervisor", email=user.email, user_id=user.id))
            first, _ = make_request(db, programme, coachee_name="Kei First", sessions_wanted=2, priority=2)
            second, token = make_request(db, programme, coachee_name="Lu Later", coachee_email="lu@x.example", sessions_wanted=2)
            db.commit()
            ids = {"first": first.id, "second": second.id, "token": token}
        yield server.url, database, ids


def _solve(page: Any, url: str) -> None:
    page.goto(f"{url}/supervisor/")
    with page.expect_navigation():
        page.click("form[action$='/supervisor/solve'] button[type=submit]")
    assert "Done: the draft is ready." in page.inner_text("#solve-message")


def _engagement(database: Any, request_id: int, status: str) -> tuple[int, list[Any]]:
    with database.sessions() as db:
        engagement = db.scalars(
            select(Engagement).where(Engagement.request_id == request_id, Engagement.status == status)
        ).one()
        return engagement.id, sorted((s.start_utc, s.end_utc) for s in engagement.sessions)


def test_a_waiting_request_starts_when_the_coachs_engagement_ends(browser: Any, axe: Path, site: Any) -> None:  # noqa: F811
    url, database, ids = site
    with database.sessions() as db:
        assert db.scalars(select(Programme)).one().capacity_over_time  # on for a new programme
    page = _signed_in_page(browser, url)
    page.goto(f"{url}/supervisor/settings")
    assert page.locator("#capacity_over_time").is_checked()

    _solve(page, url)
    first_id, _ = _engagement(database, ids["first"], "draft")
    page.goto(f"{url}/supervisor/draft")
    page.check(f"#approve-{first_id}")
    with page.expect_navigation():
        page.click("#approve-form button[type=submit]")
    assert "Approved 1 engagement(s)" in page.inner_text("main")
    _, approved = _engagement(database, ids["first"], "approved")

    _solve(page, url)
    _, planned = _engagement(database, ids["second"], "draft")
    # With room for one coachee at once, the waiting request starts when the approved one ends.
    assert planned[0][0] >= approved[-1][1]
    with database.sessions() as db:
        assert db.get_one(CoachingRequest, ids["second"]).status == "waiting"

    start = planned[0][0].astimezone(ZoneInfo("Europe/Brussels"))
    page.goto(f"{url}/supervisor/")
    assert f"starts {start:%d %b %Y}" in page.inner_text("main")
    page.goto(f"{url}/supervisor/draft")
    assert f"Starts {start:%a %d %b %Y}" in page.inner_text(f"#engagement-{_engagement(database, ids['second'], 'draft')[0]}")
    page.goto(f"{url}/supervisor/load")
    assert "at once" in page.inner_text("main")
    check_page(page, axe, "load with coachees at once")
    page.context.close()

    coachee = browser.new_context(viewport=PHONE, bypass_csp=True).new_page()
    coachee.goto(f"{url}/r/{ids['token']}")
    expected = planned[0][0].astimezone(ZoneInfo("Asia/Tokyo"))
    assert f"expects you to start on {expected:%A %d %B %Y}" in coachee.inner_text("main")
    check_page(coachee, axe, "status with expected start")
    coachee.context.close()
