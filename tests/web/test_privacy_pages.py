"""Export and privacy pages: a coachee finds every field they submitted and every session; coaches and supervisors too."""

from __future__ import annotations

import datetime as dt
import json

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import AuditEntry, Coach, CoachingRequest, Programme, RequestStatus, User
from scheduler.services.accounts.tokens import REQUEST_STATUS, issue_token
from tests.web.conftest import Person, make_request, next_weekday_utc, post, propose, sign_in

pytest_plugins = ["tests.web.conftest_supervisor"]

SUBMITTED = {
    "coachee_name": "Philippa Strandqvist",
    "coachee_email": "philippa.s@coachees.example",
    "organisation": "Velloria Analytics",
    "timezone": "Europe/Stockholm",
    "language_1": "fr",
    "language_2": "en",
    "topics": ["leadership", "career"],
    "sessions_wanted": "4",
    "windows_tue": "18:00-20:30",
    "windows_sat": "09:00-11:00",
    "message": "Torn between two offers after the merger",
    "consent": "yes",
}


def _submit_through_the_form(client: FlaskClient) -> None:
    response = post(client, "/request", SUBMITTED)
    assert response.status_code == 303, response.get_data(as_text=True)


def test_coachee_export_holds_every_submitted_field_and_every_session(
    client: FlaskClient, db: Session, programme: Programme, coach: Person
) -> None:
    _submit_through_the_form(client)
    request = db.scalar(select(CoachingRequest))
    assert request is not None
    starts = [next_weekday_utc(1, 12, weeks_ahead=2 + i) for i in range(4)]
    propose(db, request, coach.coach_id, starts)  # type: ignore[arg-type]
    token = issue_token(db, REQUEST_STATUS, valid_for=dt.timedelta(days=1), request_id=request.id)
    db.commit()

    download = client.get(f"/r/{token}/my-data.json")
    assert download.status_code == 200 and download.mimetype == "application/json"
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["Cache-Control"] == "no-store"
    [data] = json.loads(download.get_data(as_text=True))["requests"]
    given = data["submitted"]
    assert given["coachee_name"] == SUBMITTED["coachee_name"]
    assert given["coachee_email"] == SUBMITTED["coachee_email"]
    assert given["organisation"] == SUBMITTED["organisation"]
    assert given["timezone"] == SUBMITTED["timezone"]
    assert given["languages"] == ["fr", "en"]
    assert sorted(given["topics"]) == sorted(SUBMITTED["topics"])
    assert given["sessions_wanted"] == 4
    assert given["windows"] == {"tue": [["18:00", "20:30"]], "sat": [["09:00", "11:00"]]}
    assert given["message"] == SUBMITTED["message"]
    assert given["consent"] is True
    assert given["earliest_start"] == request.earliest_start.isoformat()
    sessions = [s for e in data["engagements"] for s in e["sessions"]]
    assert [s["start_utc"] for s in sessions] == [s.isoformat() for s in starts]
    assert data["engagements"][0]["coach_name"] == "Ada Coach"
    assert [m["kind"] for m in data["messages_sent_to_you"]] == ["LINK"]
    assert [sorted(link) for link in data["private_links"]] == [["expires_at", "issued_at", "purpose", "revoked_at"]] * 2
    assert token not in download.get_data(as_text=True)

    page = client.get(f"/r/{token}/my-data")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for value in ("Philippa Strandqvist", "Velloria Analytics", "Torn between two offers", "Europe/Stockholm"):
        assert value in html
    assert f"/r/{token}/my-data" in client.get(f"/r/{token}").get_data(as_text=True)


def test_another_link_does_not_open_this_export(client: FlaskClient, db: Session, programme: Programme) -> None:
    mine, _ = make_request(db, programme)
    _, other_token = make_request(db, programme, coachee_email="other@coachees.example", coachee_name="Other One")
    db.commit()
    body = client.get(f"/r/{other_token}/my-data.json").get_data(as_text=True)
    assert "Kei Coachee" not in body and "Other One" in body
    assert client.get("/r/not-a-token/my-data.json").status_code == 403
    assert mine.id not in [r["id"] for r in json.loads(body)["requests"]]


def test_coach_export_and_the_supervisors_export_of_anyone(
    coach_client: FlaskClient, supervisor_client: FlaskClient, client: FlaskClient, db: Session,
    programme: Programme, coach: Person, supervisor: Person
) -> None:
    request, _ = make_request(db, programme)
    propose(db, request, coach.coach_id, [next_weekday_utc(2, 10, weeks_ahead=2)])  # type: ignore[arg-type]
    db.commit()
    mine = json.loads(coach_client.get("/coach/my-data.json").get_data(as_text=True))
    assert mine["coach"]["email"] == coach.email and mine["account"]["email"] == coach.email
    assert len(mine["weekly_availability"]) == 5
    assert mine["engagements"][0]["request_id"] == request.id
    assert "Kei Coachee" not in json.dumps(mine)  # the coachee's details are theirs
    assert coach_client.get("/coach/my-data").status_code == 200
    assert client.get("/coach/my-data.json").status_code == 302

    theirs = json.loads(supervisor_client.get(f"/supervisor/requests/{request.id}/data.json").get_data(as_text=True))
    assert theirs["requests"][0]["submitted"]["coachee_name"] == "Kei Coachee"
    coach_data = supervisor_client.get(f"/supervisor/coaches/{coach.coach_id}/data")
    assert coach_data.status_code == 200 and coach.email in coach_data.get_data(as_text=True)
    assert coach_client.get(f"/supervisor/requests/{request.id}/data.json").status_code == 403
    found = supervisor_client.get(f"/supervisor/privacy/find?kind=request&id={request.id}")
    assert found.status_code == 303 and found.headers["Location"].endswith(f"/supervisor/requests/{request.id}/data")
    assert supervisor_client.get("/supervisor/privacy/find?kind=request&id=abc").status_code == 422
    exports = db.scalars(select(AuditEntry).where(AuditEntry.action == "export")).all()
    assert {(e.actor_user_id, e.object_type) for e in exports} == {(supervisor.user_id, "coaching_request"),
                                                                  (supervisor.user_id, "coach")}

    second, _ = make_request(db, programme, coachee_email="KEI@coachees.example")
    make_request(db, programme, coachee_email="someone.else@coachees.example")
    db.commit()
    person = post(supervisor_client, "/supervisor/privacy/person", {"email": "kei@coachees.example", "format": "json"},
                  page="/supervisor/privacy")
    assert [r["id"] for r in json.loads(person.get_data(as_text=True))["requests"]] == [request.id, second.id]
    nobody = post(supervisor_client, "/supervisor/privacy/person", {"email": "nobody@x.example"}, page="/supervisor/privacy")
    assert nobody.status_code == 404


def test_supervisor_erases_a_request_and_closes_a_coach_account(
    supervisor_client: FlaskClient, db: Session, programme: Programme, coach: Person
) -> None:
    request, _ = make_request(db, programme)
    propose(db, request, coach.coach_id, [next_weekday_utc(2, 10, weeks_ahead=2)])  # type: ignore[arg-type]
    db.commit()
    page = "/supervisor/privacy"
    assert supervisor_client.get(page).status_code == 200
    unconfirmed = post(supervisor_client, "/supervisor/privacy/erase-request", {"request_id": request.id}, page=page)
    assert unconfirmed.status_code == 422
    db.expire_all()
    assert db.get(CoachingRequest, request.id).erased_at is None  # type: ignore[union-attr]
    done = post(supervisor_client, "/supervisor/privacy/erase-request", {"request_id": request.id, "confirm": "erase"},
                page=page)
    assert done.status_code == 303
    db.expire_all()
    erased = db.get(CoachingRequest, request.id)
    assert erased is not None and erased.erased_at is not None and erased.coachee_name == "(erased)"
    assert erased.status == RequestStatus.CANCELLED.value

    closed = post(supervisor_client, "/supervisor/privacy/close-coach", {"coach_id": coach.coach_id, "confirm": "close"},
                  page=page)
    assert closed.status_code == 303
    db.expire_all()
    gone = db.get(Coach, coach.coach_id)
    assert gone is not None and gone.erased_at is not None and coach.email not in gone.email


def test_coach_closes_their_own_account_and_is_signed_out(
    eager_app, db: Session, programme: Programme, coach: Person  # type: ignore[no-untyped-def]
) -> None:
    client = eager_app.test_client()
    sign_in(client, coach)
    assert client.get("/coach/close-account").status_code == 200
    assert post(client, "/coach/close-account", {}, page="/coach/close-account").status_code == 422
    response = post(client, "/coach/close-account", {"confirm": "close"}, page="/coach/close-account")
    assert response.status_code == 200 and "Your account is closed" in response.get_data(as_text=True)
    assert client.get("/coach/").status_code == 302  # signed out
    db.expire_all()
    user = db.get(User, coach.user_id)
    assert user is not None and not user.active and user.password_hash is None


def test_privacy_page_is_public_and_linked_from_the_form_and_the_footer(client: FlaskClient, programme: Programme) -> None:
    page = client.get("/privacy")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "12 months" in html and "90 days" in html and "180 days" in html
    assert 'href="/privacy"' in client.get("/request").get_data(as_text=True)
    assert 'href="/privacy"' in client.get("/login").get_data(as_text=True)
