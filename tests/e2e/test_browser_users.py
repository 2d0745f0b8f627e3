"""What the first users asked for, in a real browser at 1280 and 390 px with axe-core:
a pin places a request the plain solve left out; a coachee changes a waiting request and
cancels one session; a coach creates an API token and calls /api/v1/me with it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from scheduler.models import Coach, CoachingRequest, CoachingSession, Engagement, EngagementStatus, Supervisor, utcnow
from scheduler.services.accounts import users
from tests.e2e.browser_site import serve
from tests.e2e.browser_support import (  # noqa: F401  (fixtures)
    DESKTOP,
    PHONE,
    axe,
    browser,
    check_page,
)
from tests.web.conftest import PASSWORD, make_coach, make_programme, make_request, next_weekday_utc, propose

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
WIDTHS = {"1280": DESKTOP, "390": PHONE}


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Ada takes one coachee at a time and two wait for her; Bo is full with Mo's two sessions;
    Pia waits for a language nobody speaks."""
    for database, _app, server in serve(
        tmp_path_factory.mktemp("town"), celery_task_always_eager=True, solver_time_limit=3.0, solver_workers=1
    ):
        with database.sessions() as db:
            programme = make_programme(db)
            programme.capacity_over_time = False  # a coachee at a time over the whole horizon
            ada = make_coach(db, programme, max_active_coachees=1)
            bo = make_coach(db, programme, email="bo@coaches.example", name="Bo Coach", max_active_coachees=1)
            user = users.create_user(db, "sam@programme.example", "supervisor", PASSWORD)
            db.add(Supervisor(programme_id=programme.id, name="Sam Supervisor", email=user.email, user_id=user.id))
            early, _ = make_request(
                db, programme, coachee_name="Kei First", sessions_wanted=1, submitted_at=utcnow() - dt.timedelta(days=9)
            )
            late, _ = make_request(
                db, programme, coachee_name="Lu Second", coachee_email="lu@x.example", sessions_wanted=1
            )
            waiting, waiting_token = make_request(
                db, programme, coachee_name="Pia Waiting", coachee_email="pia@x.example", languages=["pt"]
            )
            # Tokyo early on Sundays: New York's Saturday afternoon, when neither coach works.
            tomo, _ = make_request(
                db, programme, coachee_name="Tomo Early", coachee_email="tomo@x.example",
                windows={"sun": [["06:00", "07:00"]]},
            )  # fmt: skip
            mo, mo_token = make_request(db, programme, coachee_name="Mo Proposed", coachee_email="mo@x.example")
            first = next_weekday_utc(2, 10, weeks_ahead=2)
            propose(db, mo, bo.coach_id or 0, [first, first + dt.timedelta(days=7)])
            db.commit()
            yield {
                "url": server.url,
                "database": database,
                "ada": ada,
                "early": early.id,
                "late": late.id,
                "waiting": (waiting.id, waiting_token),
                "tokyo": tomo.id,
                "proposed": (mo.id, mo_token),
            }


def _page(browser: Any, size: dict[str, int]) -> Any:  # noqa: F811
    context = browser.new_context(viewport=size, bypass_csp=True)  # axe is injected
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the data-confirm questions
    return page


def _sign_in(page: Any, url: str, email: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")


def _check(page: Any, axe_path: Path, label: str) -> None:
    for width, size in WIDTHS.items():
        page.set_viewport_size(size)
        check_page(page, axe_path, f"{label} at {width}", shot=f"{label}-{width}")


def _draft_coach(database: Any, request_id: int) -> int | None:
    with database.sessions() as db:
        engagement = db.scalar(
            select(Engagement).where(
                Engagement.request_id == request_id, Engagement.status == EngagementStatus.DRAFT.value
            )
        )
        return engagement.coach_id if engagement else None


def test_a_pin_places_the_request_the_plain_solve_left_out(browser: Any, axe: Path, town: dict[str, Any]) -> None:  # noqa: F811
    url, database = town["url"], town["database"]
    page = _page(browser, DESKTOP)
    _sign_in(page, url, "sam@programme.example")
    page.goto(f"{url}/supervisor/")
    with page.expect_navigation():
        page.click("form[action$='/supervisor/solve'] button[type=submit]")
    assert "Done: the draft is ready." in page.inner_text("#solve-message")
    ada = town["ada"].coach_id
    assert _draft_coach(database, town["early"]) == ada and _draft_coach(database, town["late"]) is None

    page.goto(f"{url}/supervisor/draft")
    card = page.locator(f"#request-{town['late']}")
    assert "Why not" in card.inner_text()
    card.locator("select[name=coach_id]").select_option(str(ada))
    with page.expect_navigation():
        card.locator("form[action$='/pin'] button[type=submit]").click()
    assert "Done: the draft is ready." in page.inner_text("#solve-message")
    assert _draft_coach(database, town["late"]) == ada, "the pinned request is placed with its coach"
    page.goto(f"{url}/supervisor/draft")
    assert "Lu Second" in page.locator("main").inner_text()
    # Times in a reason are told in the supervisor's zone (the programme's, Brussels): Tokyo's
    # Sunday 06:00 is Saturday 22:00 there, New York's 09:00-17:00 is 15:00-23:00.
    tokyo = re.sub(r"\s+", " ", page.locator(f"#request-{town['tokyo']}").inner_text())
    assert "the coachee can meet Saturdays 22:00-23:00 (both in Europe/Brussels time)" in tokyo, tokyo
    assert "Ada Coach is available Mondays to Fridays 15:00-23:00" in tokyo and "Asia/Tokyo" not in tokyo.split("Why not")[1]
    _check(page, axe, "pin-draft")

    # A pin that cannot place: Pia's language is spoken by nobody; the page says why in words.
    card = page.locator(f"#request-{town['waiting'][0]}")
    card.locator("select[name=coach_id]").select_option(str(ada))
    with page.expect_navigation():
        card.locator("form[action$='/pin'] button[type=submit]").click()
    page.goto(f"{url}/supervisor/draft")
    why = page.locator(f"#request-{town['waiting'][0]}").inner_text()
    assert "Ada Coach" in why and "languages" in why and not re.search(r"rule\s*\d", why, re.IGNORECASE)
    _check(page, axe, "pin-reason")
    page.context.close()


def test_a_coachee_changes_a_waiting_request_and_cancels_one_session(
    browser: Any,  # noqa: F811
    axe: Path,  # noqa: F811
    town: dict[str, Any],
) -> None:
    url, database = town["url"], town["database"]
    page = _page(browser, PHONE)
    waiting_id, waiting_token = town["waiting"]
    with database.sessions() as db, db.begin():
        db.get_one(CoachingRequest, waiting_id).pinned_coach_id = None  # the pin above is the supervisor's, not hers
    page.goto(f"{url}/r/{waiting_token}")
    with page.expect_navigation():
        page.click("text=Change my request")
    _check(page, axe, "coachee-edit")
    page.select_option("#language_1", "fr")
    page.fill("#windows_tue", "18:00-20:00")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "Tuesday: 18:00–20:00" in page.inner_text("main")
    _check(page, axe, "coachee-changed")

    mo_id, mo_token = town["proposed"]
    page.goto(f"{url}/r/{mo_token}")
    _check(page, axe, "coachee-sessions")
    with page.expect_navigation():
        page.locator("form[action*='/sessions/'][action$='/cancel'] button").first.click()
    assert "your other sessions stand" in page.inner_text("main")
    with database.sessions() as db:
        states = sorted(
            s.status for s in db.scalars(select(CoachingSession).join(Engagement).where(Engagement.request_id == mo_id))
        )
    assert states == ["cancelled", "scheduled"]
    page.context.close()


def test_a_coach_creates_a_token_and_calls_the_api(browser: Any, axe: Path, town: dict[str, Any]) -> None:  # noqa: F811
    url, database = town["url"], town["database"]
    page = _page(browser, PHONE)
    _sign_in(page, url, town["ada"].email)
    with page.expect_navigation():
        page.click("nav >> text=API token")
    _check(page, axe, "coach-api-token")
    with page.expect_navigation():
        page.click("main button:has-text('Create a token')")
    token = page.input_value("#token")
    _check(page, axe, "coach-api-token-created")
    answer = page.request.get(f"{url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert answer.status == 200 and answer.json()["role"] == "coach"
    with database.sessions() as db:
        assert db.get_one(Coach, town["ada"].coach_id).user_id is not None
    page.context.close()
