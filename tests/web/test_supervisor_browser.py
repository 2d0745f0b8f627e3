"""The supervisor's pages in a real browser at phone width: axe-core finds no WCAG 2.1 A/AA
violation, nothing scrolls sideways, the keyboard approves, the solve page follows a run live."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from scheduler.models import CoachingRequest, RequestStatus, SolveRun, Supervisor, utcnow
from scheduler.services.accounts import users
from tests.e2e.browser_site import serve
from tests.e2e.browser_support import (  # noqa: F401  (fixtures)
    PHONE,
    axe,
    browser,
    check_accessibility,
    check_page,
    screenshot,
)
from tests.web.conftest import PASSWORD, make_coach, make_programme, make_request

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

PAGES = {
    "queue": "/supervisor/",
    "draft": "/supervisor/draft",
    "load": "/supervisor/load",
    "calendar": "/supervisor/calendar?drafts=1&days=60",
    "supervision": "/supervisor/supervision",
    "coaches": "/supervisor/coaches",
    "coach": "/supervisor/coaches/1",
    "settings": "/supervisor/settings",
    "api-token": "/supervisor/api-token",
    "privacy": "/supervisor/privacy",
    "audit-log": "/supervisor/audit",
    "coach-data": "/supervisor/coaches/1/data",
}


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A live site with a coach, a supervisor and three waiting requests (one nobody can serve)."""
    for database, _app, server in serve(
        tmp_path_factory.mktemp("desk"), celery_task_always_eager=True, solver_time_limit=3.0, solver_workers=1
    ):
        with database.sessions() as db:
            programme = make_programme(db)
            make_coach(db, programme)
            user = users.create_user(db, "sam@programme.example", "supervisor", PASSWORD)
            db.add(Supervisor(programme_id=programme.id, name="Sam Supervisor", email=user.email, user_id=user.id))
            make_request(db, programme, coachee_name="Kei First", sessions_wanted=2)
            make_request(db, programme, coachee_name="Lu Second", coachee_email="lu@x.example", sessions_wanted=1)
            make_request(db, programme, coachee_name="Pt Only", coachee_email="pt@x.example", languages=["pt"])
            db.commit()
        yield server.url, database


def _signed_in_page(browser: Any, url: str) -> Any:  # noqa: F811
    context = browser.new_context(viewport=PHONE, bypass_csp=True)  # axe is injected
    page = context.new_page()
    page.goto(f"{url}/login")
    page.fill("#email", "sam@programme.example")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    return page


def test_pages_are_accessible_fit_a_phone_and_approve_by_keyboard(browser: Any, axe: Path, desk: Any) -> None:  # noqa: F811
    url, database = desk
    page = _signed_in_page(browser, url)
    page.goto(f"{url}/supervisor/")
    with page.expect_navigation():
        page.click("form[action$='/supervisor/solve'] button[type=submit]")
    assert "Done: the draft is ready." in page.inner_text("#solve-message")
    check_accessibility(page, axe, "solve run")
    screenshot(page, "supervisor-solve-390")

    for name, path in PAGES.items():
        page.goto(url + path)
        assert page.locator("h1").count() == 1, name
        check_page(page, axe, name, shot=f"supervisor-{name}-390")

    # Keyboard only: tick the first assignment and approve the selection.
    page.goto(f"{url}/supervisor/draft")
    box = page.locator("input[name=engagement_ids]").first
    box.focus()
    page.keyboard.press("Space")
    assert box.is_checked()
    page.locator("#approve-form button[type=submit]").first.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Approved 1 engagement(s)" in page.inner_text("main")
    with database.sessions() as db:
        states = sorted(r.status for r in db.scalars(select(CoachingRequest)))
    assert states == sorted([RequestStatus.PROPOSED.value, RequestStatus.WAITING.value, RequestStatus.WAITING.value])
    page.context.close()


def test_solve_page_follows_a_running_run_live(browser: Any, desk: Any) -> None:  # noqa: F811
    url, database = desk
    with database.sessions() as db, db.begin():
        run = SolveRun(programme_id=1, status="running", started_at=utcnow() - dt.timedelta(seconds=2))
        db.add(run)
        db.flush()
        run_id = run.id
    page = _signed_in_page(browser, url)
    page.goto(f"{url}/supervisor/solve/{run_id}")
    assert page.inner_text("[data-field=status]") == "running"
    with database.sessions() as db, db.begin():
        running = db.get_one(SolveRun, run_id)
        running.served_weight, running.served_weight_bound, running.elapsed_seconds = 50, 100, 3.0
    page.wait_for_function("() => document.querySelector('[data-field=served_weight]').textContent === '50'")
    assert page.locator("#progress-meter").evaluate("el => el.value") == 50
    with database.sessions() as db, db.begin():
        done = db.get_one(SolveRun, run_id)
        done.status, done.served_weight, done.served_weight_bound, done.finished_at = "done", 100, 100, utcnow()
    page.wait_for_function("() => document.getElementById('solve-message').textContent.startsWith('Done')")
    assert page.inner_text("[data-field=status]") == "done"
    page.context.close()
