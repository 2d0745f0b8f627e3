"""The supervisor's pages: every route for each role, CSRF, bad input naming the field, the solve-review-approve loop."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import load_config
from scheduler.db import Database
from scheduler.models import (
    Coach,
    CoachingRequest,
    Engagement,
    EngagementStatus,
    OutboxMessage,
    Programme,
    RequestStatus,
    SolveRun,
    Supervisor,
    User,
)
from scheduler.services.accounts import users
from tests.web.conftest import CSRF_FIELD, PASSWORD, Person, make_coach, make_programme, make_request, propose, sign_in
from tests.web.supervisor_builders import days_ahead, quick_coach
from web import create_app

pytest_plugins = ["tests.web.conftest_supervisor"]

PAGES = [
    "/supervisor/",
    "/supervisor/draft",
    "/supervisor/load",
    "/supervisor/calendar",
    "/supervisor/supervision",
    "/supervisor/coaches",
    "/supervisor/settings",
    "/supervisor/api-token",
]
POSTS = [
    "/supervisor/solve",
    "/supervisor/draft/approve",
    "/supervisor/requests/1/pin",
    "/supervisor/requests/1/unpin",
    "/supervisor/requests/1/forbid",
    "/supervisor/requests/1/allow",
    "/supervisor/requests/1/reassign",
    "/supervisor/coaches",
    "/supervisor/coaches/1/level",
    "/supervisor/coaches/1/deactivate",
    "/supervisor/coaches/1/reactivate",
    "/supervisor/coaches/1/invite",
    "/supervisor/settings",
    "/supervisor/api-token",
    "/supervisor/api-token/revoke",
]


def token_of(client: FlaskClient) -> str:
    match = CSRF_FIELD.search(client.get("/supervisor/api-token").get_data(as_text=True))
    assert match
    return match.group(1)


def send(client: FlaskClient, url: str, data: dict[str, object] | None = None):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": token_of(client), **(data or {})})


def text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


# --- roles and CSRF -----------------------------------------------------------------------


def test_anonymous_people_are_sent_to_sign_in(eager_app: Flask, programme: Programme) -> None:
    client = eager_app.test_client()
    for url in [*PAGES, "/supervisor/coaches/1", "/supervisor/solve/1", "/supervisor/solve/1/progress"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.location.startswith("/login?next="), url
    csrf = CSRF_FIELD.search(client.get("/login").get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    for url in POSTS:
        assert client.post(url, data={"csrf_token": csrf}).status_code == 302, url


def test_coaches_get_403_on_every_supervisor_route(coach_client: FlaskClient, programme: Programme) -> None:
    for url in [*PAGES, "/supervisor/coaches/1", "/supervisor/solve/1", "/supervisor/solve/1/progress"]:
        assert coach_client.get(url).status_code == 403, url
    csrf = CSRF_FIELD.search(coach_client.get("/coach/").get_data(as_text=True) or "")
    token = csrf.group(1) if csrf else ""
    for url in POSTS:
        assert coach_client.post(url, data={"csrf_token": token}).status_code in (400, 403), url


def test_posts_without_a_csrf_token_are_refused(supervisor_client: FlaskClient, db: Session) -> None:
    for url in POSTS:
        response = supervisor_client.post(url, data={"coach_id": "1"})
        assert response.status_code == 400, url
        assert "security token" in response.get_data(as_text=True)
    assert db.scalar(select(SolveRun)) is None


def test_every_page_renders_for_the_supervisor_with_labels_and_navigation(
    supervisor_client: FlaskClient, db: Session, programme: Programme, coach: Person
) -> None:
    request, _ = make_request(db, programme)
    propose(db, request, coach.coach_id or 0, [days_ahead(9)])
    db.commit()
    for url in [*PAGES, f"/supervisor/coaches/{coach.coach_id}"]:
        response = supervisor_client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert 'aria-label="Supervisor"' in html and "<h1>" in html, url
        assert "style=" not in html and "<script>" not in html, url  # CSP: no inline style or script
        for field_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html):
            assert f'for="{field_id}"' in html or 'type="hidden"' in html, (url, field_id)
    assert "supervisor.css" in html and "supervisor.js" in html


# --- queue, solve, review, approve --------------------------------------------------------


def test_queue_shows_waiting_requests_with_waiting_time(
    supervisor_client: FlaskClient, db: Session, programme: Programme
) -> None:
    make_request(db, programme, coachee_name="Kei Waiting")
    db.commit()
    page = text(supervisor_client.get("/supervisor/"))
    assert "Kei Waiting" in page and "3 days" in page and "Run the solver" in page


def test_run_solver_review_and_approve_selected(
    supervisor_client: FlaskClient, db: Session, programme: Programme, coach: Person
) -> None:
    first, _ = make_request(db, programme, coachee_name="Kei First", sessions_wanted=1)
    second, _ = make_request(db, programme, coachee_name="Lu Second", coachee_email="lu@x.example", sessions_wanted=1)
    unservable, _ = make_request(db, programme, coachee_name="Pt Only", coachee_email="pt@x.example", languages=["pt"])
    db.commit()

    response = send(supervisor_client, "/supervisor/solve")
    assert response.status_code == 303
    run_url = response.location
    page = text(supervisor_client.get(run_url))
    assert "done" in page and "Best served weight so far" in page and "Upper bound" in page
    progress = supervisor_client.get(run_url + "/progress").get_json()
    assert progress["status"] == "done" and progress["finished"] is True
    assert progress["served_weight"] == progress["served_weight_bound"] > 0

    draft = text(supervisor_client.get("/supervisor/draft"))
    assert "Kei First" in draft and "Lu Second" in draft and "Why this coach" in draft
    assert "Shares the topics career." in draft and "Topics shared" in draft
    assert "Not served (1)" in draft and "Pt Only" in draft and "Ada Coach" in draft  # reasons name coaches
    assert "speaks" in draft.lower()
    drafts = db.scalars(select(Engagement).where(Engagement.status == EngagementStatus.DRAFT.value)).all()
    chosen = next(e for e in drafts if e.request_id == first.id)

    response = send(supervisor_client, "/supervisor/draft/approve", {"engagement_ids": str(chosen.id)})
    assert response.status_code == 303
    db.expire_all()
    assert db.get_one(CoachingRequest, first.id).status == RequestStatus.PROPOSED.value
    assert db.get_one(CoachingRequest, second.id).status == RequestStatus.WAITING.value
    # Approval hands the invitations to the worker at once (eager here): one per participant, sent.
    invites = db.scalars(select(OutboxMessage).where(OutboxMessage.request_id == first.id)).all()
    assert sorted(m.recipient_role for m in invites) == ["coach", "coachee"]
    assert {m.status for m in invites} == {"sent"}

    assert send(supervisor_client, "/supervisor/draft/approve", {"all": "1"}).status_code == 303
    db.expire_all()
    assert db.get_one(CoachingRequest, second.id).status == RequestStatus.PROPOSED.value
    assert db.get_one(CoachingRequest, unservable.id).status == RequestStatus.WAITING.value


def test_approve_needs_a_choice_and_known_ids(supervisor_client: FlaskClient, programme: Programme) -> None:
    response = send(supervisor_client, "/supervisor/draft/approve")
    assert response.status_code == 422 and "Engagement ids" in text(response)
    response = send(supervisor_client, "/supervisor/draft/approve", {"engagement_ids": "x"})
    assert response.status_code == 422
    assert send(supervisor_client, "/supervisor/draft/approve", {"engagement_ids": "999"}).status_code == 404


def test_a_second_solve_while_one_runs_is_a_conflict(
    supervisor_client: FlaskClient, db: Session, programme: Programme
) -> None:
    db.add(SolveRun(programme_id=programme.id, status="running"))
    db.commit()
    response = send(supervisor_client, "/supervisor/solve")
    assert response.status_code == 409 and "already running" in text(response)
    assert supervisor_client.get("/supervisor/solve/999").status_code == 404


def test_pin_forbid_allow_reassign_with_and_without_resolve(
    supervisor_client: FlaskClient, db: Session, programme: Programme, coach: Person
) -> None:
    other = quick_coach(db, programme, "bea@coaches.example", name="Bea Other")
    request, _ = make_request(db, programme, sessions_wanted=1)
    propose(db, request, coach.coach_id or 0, [days_ahead(9)], status=EngagementStatus.DRAFT.value)
    db.commit()
    url = f"/supervisor/requests/{request.id}"

    response = send(supervisor_client, f"{url}/forbid", {"coach_id": coach.coach_id, "next": "/supervisor/"})
    assert response.status_code == 303 and response.location == "/supervisor/"
    db.expire_all()
    assert db.get_one(CoachingRequest, request.id).excluded_coach_ids == [coach.coach_id]
    assert send(supervisor_client, f"{url}/allow", {"coach_id": coach.coach_id}).status_code == 303
    assert send(supervisor_client, f"{url}/pin", {"coach_id": other}).status_code == 303
    db.expire_all()
    assert db.get_one(CoachingRequest, request.id).pinned_coach_id == other
    assert send(supervisor_client, f"{url}/unpin").status_code == 303

    # Reassign and re-solve: the solver may not use the draft's coach, so Bea gets it.
    propose(db, request, coach.coach_id or 0, [days_ahead(9)], status=EngagementStatus.DRAFT.value)
    db.commit()
    response = send(supervisor_client, f"{url}/reassign", {"coach_id": "", "resolve": "1"})
    assert response.status_code == 303 and "/supervisor/solve/" in response.location
    db.expire_all()
    (draft,) = db.scalars(select(Engagement).where(Engagement.status == EngagementStatus.DRAFT.value)).all()
    assert draft.coach_id == other
    assert "Moved from Ada Coach in the previous draft." in text(supervisor_client.get("/supervisor/draft"))


def test_adjustments_bad_input_names_the_field(
    supervisor_client: FlaskClient, db: Session, programme: Programme, coach: Person
) -> None:
    request, _ = make_request(db, programme)
    db.commit()
    response = send(supervisor_client, f"/supervisor/requests/{request.id}/pin", {"coach_id": "nobody"})
    assert response.status_code == 422 and "Coach id" in text(response)
    response = send(supervisor_client, f"/supervisor/requests/{request.id}/forbid", {"coach_id": "4242"})
    assert response.status_code == 422 and "not a coach of this programme" in text(response)
    assert send(supervisor_client, "/supervisor/requests/4242/pin", {"coach_id": coach.coach_id}).status_code == 404
    huge = str(2**70)  # larger than any database id: not found / bad input, never a crash
    assert send(supervisor_client, f"/supervisor/requests/{huge}/pin", {"coach_id": coach.coach_id}).status_code == 404
    assert send(supervisor_client, f"/supervisor/requests/{request.id}/pin", {"coach_id": huge}).status_code == 422
    assert supervisor_client.get(f"/supervisor/solve/{huge}").status_code == 404
    assert supervisor_client.get(f"/supervisor/coaches/{huge}").status_code == 404
    response = send(
        supervisor_client, f"/supervisor/coaches/{coach.coach_id}/level", {"level": "trainee", "supervisor_id": huge}
    )
    assert response.status_code == 422 and "not a supervisor of this programme" in text(response)
    response = send(supervisor_client, f"/supervisor/requests/{request.id}/reassign")
    assert response.status_code == 409 and "no coach in the draft" in text(response)


# --- load, calendar, supervision ----------------------------------------------------------


def test_load_chart_reads_sessions_of_cap_and_marks_over_cap(
    supervisor_client: FlaskClient, db: Session, programme: Programme, coach: Person
) -> None:
    db.get_one(Coach, coach.coach_id).max_sessions_per_week = 1
    request, _ = make_request(db, programme)
    start = days_ahead(14, hour=15)
    propose(db, request, coach.coach_id or 0, [start, start.replace(hour=17)])
    db.commit()
    page = text(supervisor_client.get("/supervisor/load"))
    assert "2 of 1 sessions, over the cap" in page and "load-over" in page
    assert "<caption" in page and 'scope="row"' in page
    assert "Count scheduled sessions only" in page
    assert "Count the draft too" in text(supervisor_client.get("/supervisor/load?drafts=0"))


def test_calendar_names_the_timezone_and_checks_its_input(
    supervisor_client: FlaskClient, db: Session, programme: Programme, coach: Person
) -> None:
    request, _ = make_request(db, programme, coachee_name="Kei Calendar")
    start = days_ahead(5, hour=23)
    propose(db, request, coach.coach_id or 0, [start])
    db.commit()
    page = text(supervisor_client.get("/supervisor/calendar?timezone=Asia/Tokyo"))
    assert "Kei Calendar" in page and "All times are in <strong>Asia/Tokyo</strong>" in page and "JST" in page
    assert "08:00" in page  # 23:00 UTC is 08:00 in Tokyo
    later = start.date() + dt.timedelta(days=40)
    page = text(supervisor_client.get(f"/supervisor/calendar?start={later.isoformat()}&days=7"))
    assert "Kei Calendar" not in page and "No sessions in these days." in page
    earlier = (later - dt.timedelta(days=7)).isoformat()
    assert f"start={earlier}&amp;days=7" in page and "Previous 7 days" in page and "Next 7 days" in page
    response = supervisor_client.get("/supervisor/calendar?start=tomorrow&days=x")
    assert response.status_code == 422 and "Start" in text(response) and "Days" in text(response)
    response = supervisor_client.get("/supervisor/calendar?timezone=Mars/Base")
    assert response.status_code == 422 and "Timezone" in text(response)


def test_supervision_ledger_page_lists_who_is_blocked_and_why(
    supervisor_client: FlaskClient, db: Session, programme: Programme, coach: Person
) -> None:
    db.get_one(Coach, coach.coach_id).coaching_hours_since_supervision = 40.0
    db.commit()
    assert "1 coach(es) cannot take a new request (Ada Coach)" in text(supervisor_client.get("/supervisor/"))
    page = text(supervisor_client.get("/supervisor/supervision"))
    assert "Who cannot take a new request (1)" in page
    assert "supervision ratio: 40 of 35 hours used" in page and "Sam Supervisor" in page


# --- coaches ------------------------------------------------------------------------------


def test_invite_a_coach_and_manage_them(supervisor_client: FlaskClient, db: Session, programme: Programme) -> None:
    response = send(
        supervisor_client,
        "/supervisor/coaches",
        {"name": "Nia New", "email": "nia@coaches.example", "timezone": "Europe/Brussels", "languages": "en, nl",
         "topics": ["career", "leadership"], "level": "accredited", "supervisor_id": "", "organisation": ""},
    )  # fmt: skip
    assert response.status_code == 303
    coach = db.scalars(select(Coach).where(Coach.email == "nia@coaches.example")).one()
    assert coach.topics == ["career", "leadership"]
    assert db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "INVITATION")).one().recipient == coach.email
    assert "invited, no password yet" in text(supervisor_client.get("/supervisor/coaches"))
    url = f"/supervisor/coaches/{coach.id}"

    assert send(supervisor_client, f"{url}/invite").status_code == 303
    response = send(supervisor_client, f"{url}/level", {"level": "trainee", "supervisor_id": ""})
    assert response.status_code == 422 and "a trainee coach needs a supervisor" in text(response)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert send(supervisor_client, f"{url}/level", {"level": "senior"}).status_code == 303
    assert send(supervisor_client, f"{url}/deactivate").status_code == 303
    db.expire_all()
    assert db.get_one(Coach, coach.id).level == "senior" and not db.get_one(Coach, coach.id).active
    page = text(supervisor_client.get(url))
    assert "deactivated" in page and "0 of 50 hours used since the last supervision" in page
    assert send(supervisor_client, f"{url}/reactivate").status_code == 303
    db.expire_all()
    assert db.get_one(Coach, coach.id).active
    assert supervisor_client.get("/supervisor/coaches/4242").status_code == 404


def test_invite_with_bad_input_names_each_field(supervisor_client: FlaskClient, programme: Programme) -> None:
    response = send(supervisor_client, "/supervisor/coaches", {"name": "", "email": "not-mail", "timezone": "Nowhere",
                                                               "languages": "", "level": "guru"})  # fmt: skip
    page = text(response)
    assert response.status_code == 422
    for label in (
        "Name: is required",
        "E-mail address: must be an e-mail address",
        "Timezone:",
        "Languages:",
        "Level:",
    ):
        assert label in page, label


# --- settings and API token ---------------------------------------------------------------


def test_settings_save_and_bad_input_names_the_fields(
    supervisor_client: FlaskClient, db: Session, programme: Programme
) -> None:
    page = supervisor_client.get("/supervisor/settings").get_data(as_text=True)
    form = {
        name: value
        for name, value in re.findall(r'<input id="([a-z_]+)" name="[a-z_]+" type="[a-z]+" value="([^"]*)"', page)
    }
    form["timezone"] = "Europe/Brussels"
    assert {"horizon_start", "session_minutes", "min_notice_hours", "topics"} <= set(form)
    response = send(
        supervisor_client, "/supervisor/settings", {**form, "session_minutes": "90", "min_notice_hours": "24"}
    )
    assert response.status_code == 303
    db.expire_all()
    assert db.get_one(Programme, programme.id).session_minutes == 90
    response = send(
        supervisor_client, "/supervisor/settings", {**form, "horizon_end": "2001-01-01", "session_minutes": "7"}
    )
    page = text(response)
    assert response.status_code == 422
    assert "Horizon end: must be on or after" in page and "Session length (minutes): must be from 15 to 240" in page


def test_api_token_is_shown_once_and_can_be_revoked(
    supervisor_client: FlaskClient, db: Session, supervisor: Person
) -> None:
    response = send(supervisor_client, "/supervisor/api-token")
    token = re.search(r'id="token" value="([^"]+)"', response.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    assert response.headers["Cache-Control"] == "no-store"
    user = db.get_one(User, supervisor.user_id)
    assert user.api_token_hash and user.api_token_hash != token
    assert token not in supervisor_client.get("/supervisor/api-token").get_data(as_text=True)
    assert send(supervisor_client, "/supervisor/api-token/revoke").status_code == 303
    db.expire_all()
    assert db.get_one(User, supervisor.user_id).api_token_hash is None


@pytest.mark.parametrize("url", ["/supervisor/static/supervisor.css", "/supervisor/static/supervisor.js"])
def test_own_assets_are_served(supervisor_client: FlaskClient, url: str) -> None:
    assert supervisor_client.get(url).status_code == 200


@pytest.mark.postgres
def test_solve_adjust_and_approve_on_postgresql(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same loop on PostgreSQL, where the exclusion constraint guards the approved sessions."""
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    database = Database(postgres_url)
    try:
        with database.sessions() as db:
            programme = make_programme(db)
            ada = make_coach(db, programme)
            bea = quick_coach(db, programme, "bea@coaches.example", name="Bea Other")
            user = users.create_user(db, "sam@programme.example", "supervisor", PASSWORD)
            db.add(Supervisor(programme_id=programme.id, name="Sam", email=user.email, user_id=user.id))
            request, _ = make_request(db, programme, sessions_wanted=2)
            db.commit()
        settings = load_config(
            "testing", database_url=postgres_url, mail_dir=str(tmp_path / "mail"), secret_key="pg-test-secret",
            celery_task_always_eager=True, celery_broker_url=f"sqla+sqlite:///{tmp_path / 'broker.db'}",
            solver_time_limit=3.0, solver_workers=1,
        )  # fmt: skip
        client = create_app(settings, database=database).test_client()
        sign_in(client, Person(user.email, PASSWORD, user.id))
        assert send(client, "/supervisor/solve").status_code == 303
        with database.sessions() as db:
            (draft,) = db.scalars(select(Engagement).where(Engagement.status == EngagementStatus.DRAFT.value)).all()
            first_coach = draft.coach_id
        other = bea if first_coach == ada.coach_id else ada.coach_id
        response = send(client, f"/supervisor/requests/{request.id}/reassign", {"coach_id": other, "resolve": "1"})
        assert response.status_code == 303
        assert send(client, "/supervisor/draft/approve", {"all": "1"}).status_code == 303
        with database.sessions() as db:
            (approved,) = db.scalars(select(Engagement).where(Engagement.status == EngagementStatus.APPROVED.value))
            assert approved.coach_id == other and len(approved.sessions) == 2
            assert {s.status for s in approved.sessions} == {"scheduled"}
            assert db.get_one(CoachingRequest, request.id).status == RequestStatus.PROPOSED.value
    finally:
        database.dispose()


def test_a_solve_the_broker_cannot_take_is_marked_failed_and_blocks_nothing(
    web_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, supervisor: Person, programme: Programme
) -> None:
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    settings = load_config(
        "testing", database_url=web_database.url, secret_key="no-broker-secret",
        celery_broker_url="redis://127.0.0.1:1/0",  # nothing listens there
    )  # fmt: skip
    client = create_app(settings, database=web_database).test_client()
    sign_in(client, supervisor)
    response = send(client, "/supervisor/solve")
    assert response.status_code == 303
    page = text(client.get(response.location))
    assert "The solve failed: The solve could not be started" in page and "Try again" in page
    assert send(client, "/supervisor/solve").status_code == 303  # the failed run does not block the next


def test_reassigning_one_request_keeps_the_rest_of_the_draft(
    supervisor_client: FlaskClient, db: Session, programme: Programme, coach: Person
) -> None:
    quick_coach(db, programme, "bea@coaches.example", name="Bea Other")
    moving, _ = make_request(db, programme, coachee_name="Mo Moving", sessions_wanted=2)
    staying, _ = make_request(
        db, programme, coachee_name="Stan Staying", coachee_email="st@x.example", sessions_wanted=2
    )
    db.commit()
    assert send(supervisor_client, "/supervisor/solve").status_code == 303

    def plan() -> dict[int, tuple[int, list[str]]]:
        db.expire_all()
        drafts = db.scalars(select(Engagement).where(Engagement.status == EngagementStatus.DRAFT.value)).all()
        return {e.request_id: (e.coach_id, [s.start_utc.isoformat() for s in e.sessions]) for e in drafts}

    before = plan()
    assert set(before) == {moving.id, staying.id}
    response = send(supervisor_client, f"/supervisor/requests/{moving.id}/reassign", {"resolve": "1"})
    assert response.status_code == 303
    after = plan()
    assert after[moving.id][0] != before[moving.id][0]
    assert after[staying.id] == before[staying.id]  # minimal change: same coach, same times
    page = text(supervisor_client.get("/supervisor/draft"))
    assert "Unchanged from the previous draft." in page and "Moved from" in page


def test_an_adjustment_stays_when_a_solve_is_already_running(
    supervisor_client: FlaskClient, db: Session, programme: Programme, coach: Person
) -> None:
    request, _ = make_request(db, programme)
    db.add(SolveRun(programme_id=programme.id, status="running"))
    db.commit()
    response = send(
        supervisor_client, f"/supervisor/requests/{request.id}/pin", {"coach_id": coach.coach_id, "resolve": "1"}
    )
    assert response.status_code == 303 and response.location.endswith("/supervisor/draft")
    page = text(supervisor_client.get(response.location))
    assert "request is pinned to Ada Coach. It is saved, but solve run" in page
    db.expire_all()
    assert db.get_one(CoachingRequest, request.id).pinned_coach_id == coach.coach_id
