"""The JSON API: bearer tokens, one error format, every documented endpoint exercised, the document valid."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import (
    Coach,
    CoachingRequest,
    Engagement,
    EngagementStatus,
    OutboxMessage,
    Programme,
    RequestStatus,
    SolveRun,
)
from tests.web.conftest import Person, make_request, propose, sign_in
from tests.web.supervisor_builders import api_headers, days_ahead, quick_coach
from web.api.openapi import openapi_document

pytest_plugins = ["tests.web.conftest_supervisor"]

# (method, OpenAPI path) of every call the tests below make and get an answer from the view for.
EXERCISED: set[tuple[str, str]] = set()
DOCUMENT = openapi_document()


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.removeprefix("/api/v1"))


@pytest.fixture
def api(eager_app: Flask) -> FlaskClient:
    @eager_app.after_request
    def _record(response):  # type: ignore[no-untyped-def]
        if request.url_rule is not None and request.path.startswith("/api/v1"):
            EXERCISED.add((request.method.lower(), _openapi_path(request.url_rule.rule)))
        return response

    return eager_app.test_client()


@pytest.fixture
def auth(db: Session, supervisor: Person) -> dict[str, str]:
    return api_headers(db, supervisor.email)


@pytest.fixture
def drafted(db: Session, programme: Programme, coach: Person) -> Iterator[tuple[CoachingRequest, Engagement, int]]:
    """A waiting request with a draft engagement to Ada, and a second coach, Bea."""
    bea = quick_coach(db, programme, "bea@coaches.example", name="Bea Other")
    item, _ = make_request(db, programme, sessions_wanted=1)
    engagement = propose(db, item, coach.coach_id or 0, [days_ahead(9)], status=EngagementStatus.DRAFT.value)
    engagement.score = {"topics": 1.0, "language": 1.0, "kept": 0.0, "earliness": 0.9}
    db.commit()
    yield item, engagement, bea


def assert_error(response, status: int, code: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"} and error["message"]
    if code:
        assert error["code"] == code
    return error


# --- the document --------------------------------------------------------------------------


def test_openapi_document_is_served_without_auth_and_validates(api: FlaskClient) -> None:
    response = api.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)
    assert document["openapi"].startswith("3.") and document["servers"] == [{"url": "/api/v1"}]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_every_api_route_is_documented_and_every_documented_operation_exists(eager_app: Flask) -> None:
    routes = {
        (method.lower(), _openapi_path(rule.rule))
        for rule in eager_app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1")
        for method in rule.methods or ()
        if method not in {"HEAD", "OPTIONS"}
    }
    documented = {(method, path) for path, item in DOCUMENT["paths"].items() for method in item}
    assert routes == documented


# --- authentication and the error format ---------------------------------------------------


def test_without_a_valid_token_the_api_answers_401(api: FlaskClient, eager_app: Flask, supervisor: Person) -> None:
    error = assert_error(api.get("/api/v1/me"), 401, "unauthorized")
    assert "Bearer" in error["message"]
    response = api.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert_error(api.get("/api/v1/me", headers={"Authorization": "Basic abc"}), 401)
    # A browser session is no API credential (and so needs no CSRF token here).
    browser = eager_app.test_client()
    sign_in(browser, supervisor)
    assert_error(browser.get("/api/v1/requests"), 401)


def test_me_and_coach_tokens_are_refused_supervisor_operations(
    api: FlaskClient, db: Session, coach: Person, auth: dict[str, str], supervisor: Person
) -> None:
    assert api.get("/api/v1/me", headers=auth).get_json() == {
        "id": supervisor.user_id, "email": supervisor.email, "role": "supervisor", "coach_id": None,
        "supervisor_id": 1,
    }  # fmt: skip
    coach_auth = api_headers(db, coach.email)
    assert api.get("/api/v1/me", headers=coach_auth).get_json()["coach_id"] == coach.coach_id
    assert_error(api.get("/api/v1/requests", headers=coach_auth), 403, "forbidden")
    assert_error(api.post("/api/v1/solve-runs", headers=coach_auth), 403)


def test_ids_too_large_for_the_database_are_not_found(
    api: FlaskClient, db: Session, auth: dict[str, str], coach: Person
) -> None:
    huge = 2**70
    assert_error(api.get(f"/api/v1/requests/{huge}", headers=auth), 404)
    assert_error(api.get(f"/api/v1/solve-runs/{huge}", headers=auth), 404)
    assert_error(api.patch(f"/api/v1/coaches/{huge}", headers=auth, json={"level": "senior"}), 404)
    error = assert_error(api.patch(f"/api/v1/coaches/{coach.coach_id}", headers=auth,
                                   json={"level": "trainee", "supervisor_id": huge}), 422)  # fmt: skip
    assert "supervisor_id" in error["fields"]
    assert_error(api.post(f"/api/v1/me/engagements/{huge}/accept", headers=api_headers(db, coach.email)), 404)


def test_errors_share_one_format(api: FlaskClient, auth: dict[str, str], programme: Programme) -> None:
    assert_error(api.get("/api/v1/requests/4242", headers=auth), 404, "not_found")
    assert_error(api.get("/api/v1/nothing-here", headers=auth), 404)
    assert_error(api.delete("/api/v1/requests", headers=auth), 405)
    error = assert_error(api.patch("/api/v1/programme", headers=auth, data="not json"), 400, "bad_request")
    assert error["fields"] == {"body": "must be a JSON object"}
    error = assert_error(api.patch("/api/v1/programme", headers=auth, json=[1, 2]), 400)
    assert "body" in error["fields"]


# --- programme settings --------------------------------------------------------------------


def test_programme_settings_read_and_patch(api: FlaskClient, auth: dict[str, str], programme: Programme) -> None:
    settings = api.get("/api/v1/programme", headers=auth).get_json()
    assert settings["id"] == programme.id and settings["session_minutes"] == 60 and "career" in settings["topics"]
    response = api.patch("/api/v1/programme", headers=auth, json={"min_notice_hours": 24, "session_minutes": 90})
    assert response.status_code == 200 and response.get_json()["min_notice_hours"] == 24
    error = assert_error(
        api.patch("/api/v1/programme", headers=auth, json={"session_minutes": 5, "timezone": "Mars/Base", "x": 1}),
        422,
    )
    assert set(error["fields"]) == {"session_minutes", "timezone", "x"}
    assert api.get("/api/v1/programme", headers=auth).get_json()["session_minutes"] == 90


# --- queue and adjustments -----------------------------------------------------------------


def test_queue_and_one_request(api: FlaskClient, auth: dict[str, str], drafted) -> None:  # type: ignore[no-untyped-def]
    item, engagement, _bea = drafted
    (entry,) = api.get("/api/v1/requests", headers=auth).get_json()["requests"]
    assert entry["id"] == item.id and entry["position"] == 1 and entry["waiting_seconds"] >= 3 * 86400
    assert entry["draft_coach_id"] == engagement.coach_id
    detail = api.get(f"/api/v1/requests/{item.id}", headers=auth).get_json()
    (shown,) = detail["engagements"]
    assert shown["status"] == "draft" and shown["score"]["topics"] == 1.0
    assert any("Shares the topics career" in line for line in shown["explanation"])
    assert shown["sessions"][0]["start"].endswith("Z")


def test_pin_unpin_forbid_allow(api: FlaskClient, auth: dict[str, str], drafted, db: Session) -> None:  # type: ignore[no-untyped-def]
    item, _engagement, bea = drafted
    url = f"/api/v1/requests/{item.id}"
    body = api.put(f"{url}/pin", headers=auth, json={"coach_id": bea}).get_json()
    assert body["request"]["pinned_coach_id"] == bea and body["solve_run"] is None
    assert api.delete(f"{url}/pin", headers=auth).get_json()["request"]["pinned_coach_id"] is None
    body = api.post(f"{url}/forbidden-coaches", headers=auth, json={"coach_id": bea}).get_json()
    assert body["request"]["excluded_coach_ids"] == [bea]
    body = api.delete(f"{url}/forbidden-coaches/{bea}", headers=auth).get_json()
    assert body["request"]["excluded_coach_ids"] == []
    error = assert_error(api.put(f"{url}/pin", headers=auth, json={"coach_id": "ada"}), 422)
    assert error["fields"] == {"coach_id": "must be a whole number"}
    assert_error(api.post(f"{url}/forbidden-coaches", headers=auth, json={}), 422)
    assert_error(api.put("/api/v1/requests/4242/pin", headers=auth, json={"coach_id": bea}), 404)


def test_reassign_and_resolve_keeps_the_rest_and_moves_the_request(
    api: FlaskClient, auth: dict[str, str], drafted, db: Session
) -> None:  # type: ignore[no-untyped-def]
    item, engagement, bea = drafted
    response = api.post(f"/api/v1/requests/{item.id}/reassign", headers=auth, json={"resolve": True})
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["request"]["excluded_coach_ids"] == [engagement.coach_id]
    # The run is queued in the response and solved once the request has committed (an eager worker here).
    assert body["solve_run"]["status"] == "queued"
    assert api.get(f"/api/v1/solve-runs/{body['solve_run']['id']}", headers=auth).get_json()["status"] == "done"
    db.expire_all()
    (draft,) = db.scalars(select(Engagement).where(Engagement.status == EngagementStatus.DRAFT.value)).all()
    assert draft.coach_id == bea
    error = assert_error(api.post(f"/api/v1/requests/{item.id}/reassign", headers=auth, json={"coach_id": 4242}), 422)
    assert "coach_id" in error["fields"]


# --- solving, draft, approval --------------------------------------------------------------


def test_solve_runs_and_the_draft_and_approval(
    api: FlaskClient, auth: dict[str, str], db: Session, programme: Programme, coach: Person
) -> None:
    served, _ = make_request(db, programme, sessions_wanted=1)
    unserved, _ = make_request(db, programme, coachee_email="pt@x.example", languages=["pt"])
    # Tokyo early on Sundays: Saturday afternoon in New York, when the coach does not work.
    early, _ = make_request(db, programme, coachee_email="early@x.example", windows={"sun": [["06:00", "07:00"]]})
    db.commit()
    response = api.post("/api/v1/solve-runs", headers=auth)
    run = response.get_json()
    assert response.status_code == 202 and response.headers["Location"] == f"/api/v1/solve-runs/{run['id']}"
    assert run["status"] == "queued"  # handed to the solve queue once the request has committed
    detail = api.get(f"/api/v1/solve-runs/{run['id']}", headers=auth).get_json()
    assert detail["status"] == "done" and detail["served_weight"] == detail["served_weight_bound"]
    assert sorted(u["request_id"] for u in detail["unassigned"]) == [unserved.id, early.id]
    assert [r["id"] for r in api.get("/api/v1/solve-runs", headers=auth).get_json()["solve_runs"]] == [run["id"]]
    assert_error(api.get("/api/v1/solve-runs/4242", headers=auth), 404)

    draft = api.get("/api/v1/draft", headers=auth).get_json()
    (assignment,) = draft["assignments"]
    assert assignment["request_id"] == served.id and assignment["explanation"]
    assert draft["unserved"][0]["request_id"] == unserved.id
    assert any("Ada Coach" in reason for reason in draft["unserved"][0]["reasons"])

    # Reasons tell times in the programme's zone, or in the one the caller asks for; codes stay.
    def early_reason(url: str) -> dict:  # type: ignore[type-arg]
        items = api.get(url, headers=auth).get_json()
        listed = items["unserved"] if "unserved" in items else items["unassigned"]
        (item,) = [u for u in listed if u["request_id"] == early.id]
        (detail,) = [d for d in item["details"] if d["code"] == "no_common_time"]
        return detail
    home = early_reason("/api/v1/draft")
    assert "the coachee can meet Saturdays 22:00-23:00 (both in Europe/Brussels time)" in home["text"]
    new_york = early_reason("/api/v1/draft?timezone=America/New_York")
    assert "Saturdays 16:00-17:00 (both in America/New_York time)" in new_york["text"]
    assert new_york["params"] == home["params"] and home["params"]["coachee_timezone"] == "Asia/Tokyo"
    assert "Asia/Tokyo time" in early_reason(f"/api/v1/solve-runs/{run['id']}?timezone=Asia/Tokyo")["text"]
    for url in ("/api/v1/draft?timezone=Mars/Olympus", f"/api/v1/solve-runs/{run['id']}?timezone=x"):
        assert "timezone" in assert_error(api.get(url, headers=auth), 422)["fields"]

    error = assert_error(api.post("/api/v1/draft/approve", headers=auth, json={}), 422)
    assert "engagement_ids" in error["fields"]
    assert_error(api.post("/api/v1/draft/approve", headers=auth, json={"engagement_ids": [4242]}), 404)
    approved = api.post("/api/v1/draft/approve", headers=auth, json={"engagement_ids": [assignment["id"]]}).get_json()
    assert [e["status"] for e in approved["approved"]] == ["approved"]
    db.expire_all()
    assert db.get_one(CoachingRequest, served.id).status == RequestStatus.PROPOSED.value
    assert api.post("/api/v1/draft/approve", headers=auth, json={"all": True}).get_json() == {"approved": []}

    running = SolveRun(programme_id=programme.id, status="running")
    db.add(running)
    db.commit()
    error = assert_error(api.post("/api/v1/solve-runs", headers=auth), 409, "conflict")
    assert f"solve run {running.id} is already running" in error["message"]


# --- coaches -------------------------------------------------------------------------------


def test_coaches_invite_read_and_patch(api: FlaskClient, auth: dict[str, str], db: Session, coach: Person) -> None:
    (listed,) = api.get("/api/v1/coaches", headers=auth).get_json()["coaches"]
    assert listed["id"] == coach.coach_id and listed["level"] == "accredited"
    response = api.post(
        "/api/v1/coaches",
        headers=auth,
        json={"name": "Nia New", "email": "nia@coaches.example", "timezone": "Europe/Brussels",
              "languages": ["en", "nl"], "topics": ["career"], "level": "senior"},
    )  # fmt: skip
    created = response.get_json()
    assert response.status_code == 201 and created["invited"] and created["languages"] == ["en", "nl"]
    assert response.headers["Location"] == f"/api/v1/coaches/{created['id']}"
    error = assert_error(api.post("/api/v1/coaches", headers=auth, json={"email": "nia@coaches.example"}), 422)
    assert {"name", "timezone", "languages"} <= set(error["fields"])
    again = {"name": "Nia", "email": "nia@coaches.example", "timezone": "Europe/Brussels", "languages": ["en"]}
    assert assert_error(api.post("/api/v1/coaches", headers=auth, json=again), 422)["fields"] == {
        "email": "already has an account"
    }

    assert api.get(f"/api/v1/coaches/{created['id']}", headers=auth).get_json()["name"] == "Nia New"
    assert_error(api.get("/api/v1/coaches/4242", headers=auth), 404)
    url = f"/api/v1/coaches/{coach.coach_id}"
    assert api.patch(url, headers=auth, json={"level": "senior"}).get_json()["level"] == "senior"
    assert api.patch(url, headers=auth, json={"active": False}).get_json()["active"] is False
    assert api.patch(url, headers=auth, json={"active": True}).get_json()["active"] is True
    error = assert_error(api.patch(url, headers=auth, json={"level": "trainee"}), 422)
    assert error["fields"] == {"supervisor_id": "a trainee coach needs a supervisor"}
    error = assert_error(api.patch(url, headers=auth, json={"email": "x@y.example", "active": "no"}), 422)
    assert error["fields"] == {"email": "is not a field here", "active": "must be true or false"}
    assert_error(api.patch(url, headers=auth, json={"active": "no"}), 422)
    db.expire_all()
    assert db.get_one(Coach, coach.coach_id).level == "senior"


# --- load, calendar, supervision -----------------------------------------------------------


def test_load_calendar_and_supervision(
    api: FlaskClient, auth: dict[str, str], db: Session, programme: Programme, coach: Person
) -> None:
    item, _ = make_request(db, programme)
    start = days_ahead(10, hour=23)
    propose(db, item, coach.coach_id or 0, [start])
    db.commit()
    load = api.get("/api/v1/load", headers=auth).get_json()
    (row,) = load["coaches"]
    assert row["cap"] == 4 and sum(w["scheduled"] for w in row["weeks"]) == 1
    assert len(load["weeks"]) == len(row["weeks"]) and load["weeks"][0]["week"].count("-W") == 1
    assert api.get("/api/v1/load?drafts=0", headers=auth).status_code == 200

    calendar = api.get("/api/v1/calendar?timezone=Asia/Tokyo&days=30", headers=auth).get_json()
    (session,) = calendar["sessions"]
    assert calendar["timezone"] == "Asia/Tokyo" and session["local_start"].endswith("+09:00")
    assert session["coach_id"] == coach.coach_id and session["request_id"] == item.id
    error = assert_error(api.get("/api/v1/calendar?start=soon&days=many", headers=auth), 422)
    assert set(error["fields"]) == {"start", "days"}
    assert "timezone" in assert_error(api.get("/api/v1/calendar?timezone=Mars/Base", headers=auth), 422)["fields"]

    ledger = api.get("/api/v1/supervision", headers=auth).get_json()
    (line,) = ledger["coaches"]
    assert line["coach_id"] == coach.coach_id and line["booked_hours"] == 1.0 and line["max_hours"] == 35
    assert ledger["supervisors"][0]["max_trainee_engagements"] == 6


# --- a coach's own record ------------------------------------------------------------------


def test_coach_sessions_and_answers(
    api: FlaskClient, db: Session, programme: Programme, coach: Person, auth: dict[str, str]
) -> None:
    coach_auth = api_headers(db, coach.email)
    kept, _ = make_request(db, programme, coachee_name="Kei Kept")
    start = days_ahead(8, hour=14)
    first = propose(db, kept, coach.coach_id or 0, [start])
    dropped, _ = make_request(db, programme, coachee_name="Lu Dropped", coachee_email="lu@x.example")
    second = propose(db, dropped, coach.coach_id or 0, [days_ahead(9, hour=14)])
    db.commit()
    assert_error(api.get("/api/v1/me/sessions", headers=auth), 403, "forbidden")

    body = api.get("/api/v1/me/sessions", headers=coach_auth).get_json()
    assert body["timezone"] == "America/New_York" and len(body["sessions"]) == 2
    assert body["sessions"][0]["coachee_name"] == "Kei Kept"
    assert body["sessions"][0]["local_start"].endswith(("-05:00", "-04:00"))
    waiting = api.get("/api/v1/me/engagements", headers=coach_auth).get_json()["engagements"]
    assert [e["id"] for e in waiting] == [first.id, second.id]

    accepted = api.post(f"/api/v1/me/engagements/{first.id}/accept", headers=coach_auth)
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "approved"
    declined = api.post(f"/api/v1/me/engagements/{second.id}/decline", headers=coach_auth).get_json()
    assert declined["status"] == "declined"
    db.expire_all()
    assert db.get_one(CoachingRequest, dropped.id).status == RequestStatus.WAITING.value
    messages = db.scalars(select(OutboxMessage).where(OutboxMessage.request_id == dropped.id)).all()
    cancels = [m for m in messages if m.kind == "CANCEL"]
    assert {m.status for m in cancels} == {"sent"} and len(cancels) == 2
    # Besides the CANCELs, the coachee hears that another coach is being sought (and nothing else).
    assert [(m.kind, m.recipient_role) for m in messages if m.kind != "CANCEL"] == [("NOTICE", "coachee")]
    assert_error(api.post(f"/api/v1/me/engagements/{first.id}/accept", headers=coach_auth), 422)
    assert_error(api.post("/api/v1/me/engagements/4242/decline", headers=coach_auth), 404)


def test_coach_profile_capacity_and_availability(api: FlaskClient, db: Session, coach: Person) -> None:
    coach_auth = api_headers(db, coach.email)
    profile = api.get("/api/v1/me/profile", headers=coach_auth).get_json()
    assert profile["name"] == "Ada Coach" and profile["capacity"]["max_sessions_per_week"] == 4
    changed = api.put("/api/v1/me/profile", headers=coach_auth,
                      json={"name": "Ada C.", "timezone": "Europe/Brussels", "languages": ["en"], "topics": ["career"]})  # fmt: skip
    assert changed.status_code == 200 and changed.get_json()["timezone"] == "Europe/Brussels"
    error = assert_error(
        api.put("/api/v1/me/profile", headers=coach_auth, json={"name": "", "timezone": "Nowhere"}), 422
    )
    assert {"name", "timezone", "languages", "topics"} <= set(error["fields"])

    capacity = {"max_active_coachees": 2, "max_sessions_per_week": 3, "max_sessions_per_day": 1, "buffer_minutes": 30}
    assert api.put("/api/v1/me/capacity", headers=coach_auth, json=capacity).get_json()["capacity"] == capacity
    error = assert_error(
        api.put("/api/v1/me/capacity", headers=coach_auth, json={**capacity, "max_sessions_per_day": 9}), 422
    )
    assert set(error["fields"]) == {"max_sessions_per_day"}

    assert set(api.get("/api/v1/me/availability", headers=coach_auth).get_json()["weekly"]) == {
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
    }
    weekly = {"tue": [["18:00", "21:00"]]}
    assert (
        api.put("/api/v1/me/availability", headers=coach_auth, json={"weekly": weekly}).get_json()["weekly"] == weekly
    )
    error = assert_error(
        api.put("/api/v1/me/availability", headers=coach_auth, json={"weekly": {"tue": [["21:00", "18:00"]]}}), 422
    )
    assert "weekly" in error["fields"]
    response = api.post(
        "/api/v1/me/availability/exceptions", headers=coach_auth, json={"date": "2027-01-05", "available": False}
    )
    assert response.status_code == 201
    (exception,) = response.get_json()["exceptions"]
    assert exception["date"] == "2027-01-05" and exception["start"] is None
    error = assert_error(api.post("/api/v1/me/availability/exceptions", headers=coach_auth, json={"date": "soon"}), 422)
    assert "date" in error["fields"]
    assert (
        api.delete(f"/api/v1/me/availability/exceptions/{exception['id']}", headers=coach_auth).get_json()["exceptions"]
        == []
    )
    assert_error(api.delete(f"/api/v1/me/availability/exceptions/{exception['id']}", headers=coach_auth), 404)


# --- a coachee's request -------------------------------------------------------------------

NEW_REQUEST = {
    "coachee_name": "Kei Tanaka",
    "coachee_email": "kei@coachees.example",
    "timezone": "Asia/Tokyo",
    "languages": ["en"],
    "topics": ["career"],
    "sessions_wanted": 2,
    "windows": {"mon": [["18:00", "21:00"]]},
    "consent": True,
}


def test_coachee_submits_without_an_account(api: FlaskClient, db: Session, programme: Programme) -> None:
    response = api.post("/api/v1/coaching-requests", json=NEW_REQUEST)
    created = response.get_json()
    assert response.status_code == 201 and created["status"] == "waiting"
    assert created["link_sent_to"] == "kei@coachees.example" and "token" not in str(created)
    assert db.get_one(CoachingRequest, created["id"]).windows == {"mon": [["18:00", "21:00"]]}
    (link,) = db.scalars(select(OutboxMessage).where(OutboxMessage.request_id == created["id"])).all()
    assert (link.kind, link.status) == ("LINK", "sent")  # dispatched after the commit, not left for the sweeper
    error = assert_error(
        api.post("/api/v1/coaching-requests", json={**NEW_REQUEST, "timezone": "Mars", "consent": False}), 422
    )
    assert {"timezone", "consent"} <= set(error["fields"])
    assert_error(api.post("/api/v1/coaching-requests", data="x"), 400)


def test_coachee_follows_and_answers_with_the_status_token(
    api: FlaskClient, db: Session, programme: Programme, coach: Person
) -> None:
    _waiting, waiting_token = make_request(db, programme, coachee_email="w@x.example")
    proposed, token = make_request(db, programme, coachee_name="Pia Proposed", coachee_email="p@x.example")
    propose(db, proposed, coach.coach_id or 0, [days_ahead(8, hour=14)])
    other, other_token = make_request(db, programme, coachee_email="o@x.example")
    propose(db, other, coach.coach_id or 0, [days_ahead(9, hour=14)])
    db.commit()
    assert_error(api.get("/api/v1/coaching-requests/status"), 401)
    assert_error(api.get("/api/v1/coaching-requests/status", headers={"X-Status-Token": "forged"}), 403)
    status = api.get("/api/v1/coaching-requests/status", headers={"X-Status-Token": waiting_token}).get_json()
    assert status["status"] == "waiting" and status["queue_position"] == 1 and status["waiting_days"] == 3
    assert_error(api.post("/api/v1/coaching-requests/status/accept", headers={"X-Status-Token": waiting_token}), 409)

    status = api.get("/api/v1/coaching-requests/status", headers={"X-Status-Token": token}).get_json()
    assert status["coach_name"] == "Ada Coach" and status["sessions"][0]["local_start"].endswith("+09:00")
    accepted = api.post("/api/v1/coaching-requests/status/accept", headers={"X-Status-Token": token}).get_json()
    assert accepted["status"] == "confirmed"
    declined = api.post("/api/v1/coaching-requests/status/decline", headers={"X-Status-Token": other_token}).get_json()
    assert declined["status"] == "declined"
    cancelled = api.post("/api/v1/coaching-requests/status/cancel", headers={"X-Status-Token": token}).get_json()
    assert cancelled["status"] == "cancelled"
    assert_error(api.post("/api/v1/coaching-requests/status/cancel"), 401)


def test_coachee_changes_a_waiting_request_and_keeps_their_place(
    api: FlaskClient, db: Session, programme: Programme
) -> None:
    first, token = make_request(db, programme, coachee_email="w@x.example")
    make_request(db, programme, coachee_email="later@x.example")
    db.commit()
    sent_at, headers = first.submitted_at, {"X-Status-Token": token}
    url = "/api/v1/coaching-requests/status"
    before = api.get(url, headers=headers).get_json()
    assert before["can_change"] and before["topics"] == list(first.topics) and before["windows"] == first.windows

    changed = api.patch(url, headers=headers, json={"sessions_wanted": 2, "windows": "tue 08:00-10:00"}).get_json()
    assert changed["sessions_wanted"] == 2 and changed["windows"] == {"tue": [["08:00", "10:00"]]}
    assert changed["topics"] == before["topics"] and changed["queue_position"] == 1  # the rest and the place kept
    db.expire_all()
    assert first.submitted_at == sent_at and first.sessions_wanted == 2

    # Each bad field is named; unknown or unchangeable fields are refused; nothing is stored.
    error = assert_error(
        api.patch(url, headers=headers, json={"sessions_wanted": 9, "timezone": "Mars/Base", "topics": ["nope"]}), 422
    )
    assert {"sessions_wanted", "timezone"} <= set(error["fields"])
    assert "topics" in assert_error(api.patch(url, headers=headers, json={"topics": ["nope"]}), 422)["fields"]
    assert "coachee_email" in assert_error(api.patch(url, headers=headers, json={"coachee_email": "x@y.z"}), 422)["fields"]
    assert "windows" in assert_error(api.patch(url, headers=headers, json={"windows": "tue\u0000 08:00-10:00"}), 422)["fields"]
    assert_error(api.patch(url, headers=headers, json={}), 422)
    assert_error(api.patch(url, headers=headers, data="x"), 400)
    assert_error(api.patch(url, json={"sessions_wanted": 2}), 401)
    db.expire_all()
    assert first.sessions_wanted == 2 and first.windows == {"tue": [["08:00", "10:00"]]} and first.topics == before["topics"]


def test_coachee_cancels_one_session_or_asks_for_another_coach(
    api: FlaskClient, db: Session, programme: Programme, coach: Person
) -> None:
    proposed, token = make_request(db, programme, coachee_email="p@x.example")
    engagement = propose(db, proposed, coach.coach_id or 0, [days_ahead(8, hour=14), days_ahead(15, hour=14)])
    first, second = sorted(engagement.sessions, key=lambda s: s.start_utc)
    db.commit()
    headers = {"X-Status-Token": token}
    assert_error(api.patch("/api/v1/coaching-requests/status", headers=headers, json={"sessions_wanted": 1}), 409)
    cancel = f"/api/v1/coaching-requests/status/sessions/{first.id}/cancel"
    status = api.post(cancel, headers=headers).get_json()
    assert [s["id"] for s in status["sessions"]] == [second.id] and status["status"] == "proposed"
    assert_error(api.post(cancel, headers=headers), 404)  # no longer scheduled
    assert_error(api.post(f"/api/v1/coaching-requests/status/sessions/{second.id}/cancel", headers=headers), 409)
    again = api.post("/api/v1/coaching-requests/status/another-coach", headers=headers).get_json()
    assert again["status"] == "waiting" and again["sessions"] == [] and again["can_change"]
    db.expire_all()
    assert coach.coach_id in proposed.excluded_coach_ids
    assert_error(api.post("/api/v1/coaching-requests/status/another-coach", headers=headers), 409)


def test_coach_records_attendance_of_their_ended_session_only(
    api: FlaskClient, db: Session, programme: Programme, coach: Person, supervisor: Person
) -> None:
    request_, _ = make_request(db, programme)
    assert coach.coach_id is not None
    engagement = propose(db, request_, coach.coach_id, [days_ahead(-3)])
    db.commit()
    url = f"/api/v1/sessions/{engagement.sessions[0].id}/attendance"
    assert_error(api.post(url, json={"outcome": "maybe"}, headers=api_headers(db, coach.email)), 422)
    ok = api.post(url, json={"outcome": "cancelled_late"}, headers=api_headers(db, coach.email))
    assert ok.status_code == 200 and ok.get_json() == {
        "session_id": engagement.sessions[0].id, "outcome": "cancelled_late", "recorded_by": "coach"
    }  # fmt: skip
    assert_error(api.post(url, json={"outcome": "held"}, headers=api_headers(db, supervisor.email)), 403)
    assert_error(api.post(url, json={"outcome": "held"}), 401)
    assert_error(api.post("/api/v1/sessions/999999/attendance", json={"outcome": "held"}, headers=api_headers(db, coach.email)), 404)


# Last on purpose: it reads what the tests above exercised.
def test_every_documented_operation_has_a_test(request: pytest.FixtureRequest) -> None:
    if request.session.testscollected < 10 or request.config.option.keyword or request.config.option.markexpr:
        pytest.skip("run the whole module to check coverage of the API document")
    documented = {(method, path) for path, item in DOCUMENT["paths"].items() for method in item}
    assert documented - EXERCISED == set()


def test_a_coach_has_one_shape_for_the_supervisor_and_for_the_coach(
    api: FlaskClient, auth: dict[str, str], db: Session, coach: Person
) -> None:
    (listed,) = api.get("/api/v1/coaches", headers=auth).get_json()["coaches"]
    own = api.get("/api/v1/me/profile", headers=api_headers(db, coach.email)).get_json()
    assert listed == own and own["format"] == "coach/2"
    assert set(own["capacity"]) == {"max_active_coachees", "max_sessions_per_week", "max_sessions_per_day", "buffer_minutes"}
