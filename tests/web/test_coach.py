"""Coach pages: every route, the coach's own data only, 403 for other roles."""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import Coach, CoachingRequest, CoachingSession, Engagement, OutboxMessage, Programme
from tests.web.conftest import Person, make_coach, make_request, next_weekday_utc, post, propose, sign_in

GET_PAGES = [
    "/coach/",
    "/coach/sessions",
    "/coach/profile",
    "/coach/availability",
    "/coach/capacity",
    "/coach/calendar-feed",
]
POST_ACTIONS = [
    "/coach/engagements/1/accept",
    "/coach/engagements/1/decline",
    "/coach/profile",
    "/coach/availability",
    "/coach/availability/exceptions",
    "/coach/availability/exceptions/1/delete",
    "/coach/capacity",
    "/coach/calendar-feed",
    "/coach/calendar-feed/revoke",
]


@pytest.fixture
def engagement(db: Session, programme: Programme, coach: Person) -> Engagement:
    request, _ = make_request(db, programme)
    first = next_weekday_utc(1, 11, weeks_ahead=2)
    engagement = propose(db, request, coach.coach_id, [first, first + dt.timedelta(days=7)])
    db.commit()
    return engagement


@pytest.mark.parametrize("url", GET_PAGES)
def test_anonymous_is_sent_to_sign_in(client: FlaskClient, programme: Programme, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]


@pytest.mark.parametrize("url", GET_PAGES)
def test_supervisor_cannot_open_coach_pages(client: FlaskClient, supervisor: Person, url: str) -> None:
    sign_in(client, supervisor)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", POST_ACTIONS)
def test_supervisor_cannot_post_coach_actions(client: FlaskClient, supervisor: Person, url: str) -> None:
    sign_in(client, supervisor)
    assert post(client, url).status_code == 403


@pytest.mark.parametrize("url", POST_ACTIONS)
def test_coach_actions_need_csrf(client: FlaskClient, coach: Person, url: str) -> None:
    sign_in(client, coach)
    assert client.post(url).status_code == 400


def test_dashboard_shows_sessions_in_the_coach_timezone(
    client: FlaskClient, coach: Person, engagement: Engagement
) -> None:
    sign_in(client, coach)
    html = client.get("/coach/").get_data(as_text=True)
    first = engagement.sessions[0].start_utc
    from zoneinfo import ZoneInfo

    local = first.astimezone(ZoneInfo("America/New_York"))
    assert local.strftime("%a %d %b %Y, %H:%M") in html
    assert "America/New York" in html
    assert "Kei Coachee" in html
    assert "New engagements to answer" in html and "Accept" in html


def test_accepting_an_engagement(client: FlaskClient, db: Session, coach: Person, engagement: Engagement) -> None:
    sign_in(client, coach)
    response = post(client, f"/coach/engagements/{engagement.id}/accept", page="/coach/")
    assert response.status_code == 303
    db.expire_all()
    assert db.get(Engagement, engagement.id).coach_response == "accepted"
    assert "Nothing to answer right now" in client.get("/coach/").get_data(as_text=True)
    again = post(client, f"/coach/engagements/{engagement.id}/decline", page="/coach/")
    assert again.status_code == 422


def test_declining_cancels_sessions_and_requeues_the_request(
    client: FlaskClient, db: Session, coach: Person, engagement: Engagement
) -> None:
    sign_in(client, coach)
    assert post(client, f"/coach/engagements/{engagement.id}/decline", page="/coach/").status_code == 303
    db.expire_all()
    declined = db.get(Engagement, engagement.id)
    assert declined.status == "declined" and declined.coach_response == "declined"
    assert {s.status for s in declined.sessions} == {"cancelled"}
    request = db.get(CoachingRequest, declined.request_id)
    assert request.status == "waiting" and coach.coach_id in request.excluded_coach_ids
    assert len(db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "CANCEL")).all()) == 4


def test_another_coachs_engagement_is_not_found(
    client: FlaskClient, db: Session, programme: Programme, engagement: Engagement
) -> None:
    other = make_coach(db, programme, email="bob@coaches.example", name="Bob")
    db.commit()
    sign_in(client, other)
    assert post(client, f"/coach/engagements/{engagement.id}/accept", page="/coach/").status_code == 404


def test_profile_saves_and_names_bad_fields(client: FlaskClient, db: Session, coach: Person) -> None:
    sign_in(client, coach)
    page = client.get("/coach/profile").get_data(as_text=True)
    assert "Level: <strong>Accredited" in page
    ok = post(
        client,
        "/coach/profile",
        {"name": "Ada L.", "timezone": "Europe/Lisbon", "languages": ["en", "nl"], "topics": ["wellbeing"]},
    )
    assert ok.status_code == 303
    saved = db.get(Coach, coach.coach_id)
    db.refresh(saved)
    assert (saved.name, saved.timezone, saved.languages, saved.topics) == (
        "Ada L.",
        "Europe/Lisbon",
        ["en", "nl"],
        ["wellbeing"],
    )
    bad = post(client, "/coach/profile", {"name": "", "timezone": "Mars/Olympus", "languages": [], "topics": ["x"]})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    for field in ("name", "timezone", "languages", "topics"):
        assert f'id="{field}-error"' in html, field


def test_weekly_availability_editor(client: FlaskClient, db: Session, coach: Person) -> None:
    sign_in(client, coach)
    page = client.get("/coach/availability").get_data(as_text=True)
    assert 'value="09:00-17:00"' in page and "America/New York" in page
    ok = post(client, "/coach/availability", {"windows_mon": "08:00-12:00, 13:00-18:00", "windows_sat": "10:00-24:00"})
    assert ok.status_code == 303
    saved = db.get(Coach, coach.coach_id)
    db.refresh(saved)
    rules = sorted((r.weekday, r.start.strftime("%H:%M"), r.end.strftime("%H:%M")) for r in saved.availability)
    assert rules == [(0, "08:00", "12:00"), (0, "13:00", "18:00"), (5, "10:00", "23:59")]
    assert 'value="10:00-24:00"' in client.get("/coach/availability").get_data(as_text=True)
    bad = post(client, "/coach/availability", {"windows_tue": "18:00-09:00"})
    assert bad.status_code == 422
    assert 'id="weekly-error"' in bad.get_data(as_text=True)


def test_date_exceptions(client: FlaskClient, db: Session, coach: Person) -> None:
    sign_in(client, coach)
    day = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    assert post(client, "/coach/availability/exceptions", {"date": day, "available": "no"}).status_code == 303
    html = client.get("/coach/availability").get_data(as_text=True)
    assert "not available" in html
    duplicate = post(client, "/coach/availability/exceptions", {"date": day, "available": "no"})
    assert duplicate.status_code == 422 and 'id="date-error"' in duplicate.get_data(as_text=True)
    bad = post(client, "/coach/availability/exceptions", {"date": "soon", "available": "yes", "start": "", "end": "9"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert 'id="date-error"' in html and 'id="start-error"' in html and 'id="end-error"' in html
    exception = db.get(Coach, coach.coach_id).exceptions[0]
    assert post(client, f"/coach/availability/exceptions/{exception.id}/delete").status_code == 303
    assert post(client, f"/coach/availability/exceptions/{exception.id}/delete").status_code == 404


def test_capacity(client: FlaskClient, db: Session, coach: Person) -> None:
    sign_in(client, coach)
    values = {
        "max_active_coachees": "2",
        "max_sessions_per_week": "3",
        "max_sessions_per_day": "1",
        "buffer_minutes": "30",
    }
    assert post(client, "/coach/capacity", values).status_code == 303
    saved = db.get(Coach, coach.coach_id)
    db.refresh(saved)
    assert (
        saved.max_active_coachees,
        saved.max_sessions_per_week,
        saved.max_sessions_per_day,
        saved.buffer_minutes,
    ) == (
        2,
        3,
        1,
        30,
    )
    bad = post(client, "/coach/capacity", {**values, "max_sessions_per_day": "5", "buffer_minutes": "lots"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert 'id="max_sessions_per_day-error"' not in html or "per week" in html
    assert 'id="buffer_minutes-error"' in html


def test_calendar_feed_is_private_and_revocable(client: FlaskClient, db: Session, coach: Person) -> None:
    sign_in(client, coach)
    assert "no feed address yet" in client.get("/coach/calendar-feed").get_data(as_text=True)
    html = post(client, "/coach/calendar-feed", page="/coach/calendar-feed").get_data(as_text=True)
    url = html.split('id="feed-url">')[1].split("<")[0]
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    saved = db.get(Coach, coach.coach_id)
    db.refresh(saved)
    assert saved.feed_token_hash and token not in saved.feed_token_hash
    assert url == f"http://127.0.0.1:5000/feeds/{token}.ics"
    feed = client.get(f"/feeds/{token}.ics")
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    assert b"BEGIN:VCALENDAR" in feed.data
    assert post(client, "/coach/calendar-feed/revoke", page="/coach/calendar-feed").status_code == 303
    assert client.get(f"/feeds/{token}.ics").status_code == 403


def test_upcoming_lists_only_this_coachs_live_sessions(
    client: FlaskClient, db: Session, programme: Programme, coach: Person, engagement: Engagement
) -> None:
    other = make_coach(db, programme, email="bob@coaches.example", name="Bob")
    db.commit()
    sign_in(client, other)
    html = client.get("/coach/").get_data(as_text=True)
    assert "Kei Coachee" not in html and "no upcoming sessions" in html
    assert db.scalars(select(CoachingSession)).first() is not None
