"""The audit log through the real edges: each change has an entry naming the actor, their role and the interface."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from scheduler.models import AuditEntry, CoachingSession, EngagementStatus, Programme
from scheduler.services import audit
from scheduler.services.programmes import settings as programme_settings
from tests.web.conftest import Person, make_request, next_weekday_utc, post, propose

pytest_plugins = ["tests.web.conftest_supervisor"]


def entries(db: Session, action: str) -> list[AuditEntry]:
    db.expire_all()
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_supervisor_changes_are_recorded_with_actor_role_and_interface(
    supervisor_client: FlaskClient, db: Session, programme: Programme, coach: Person, supervisor: Person
) -> None:
    request, _ = make_request(db, programme)
    other, _ = make_request(db, programme, coachee_email="other@coachees.example")
    draft = propose(db, other, coach.coach_id, [next_weekday_utc(0, 10, weeks_ahead=2)],  # type: ignore[arg-type]
                    status=EngagementStatus.DRAFT.value)
    db.commit()
    page = "/supervisor/draft"

    assert post(supervisor_client, f"/supervisor/requests/{request.id}/pin", {"coach_id": coach.coach_id},
                page=page).status_code == 303
    assert post(supervisor_client, f"/supervisor/requests/{request.id}/forbid", {"coach_id": coach.coach_id},
                page=page).status_code == 303
    assert post(supervisor_client, f"/supervisor/requests/{request.id}/reassign", {"coach_id": coach.coach_id},
                page=page).status_code == 303
    assert post(supervisor_client, "/supervisor/draft/approve", {"engagement_ids": draft.id},
                page=page).status_code == 303
    form = {k: (", ".join(v) if isinstance(v, list) else v)
            for k, v in programme_settings.settings_of(programme).items()}
    form["min_notice_hours"] = 24
    assert post(supervisor_client, "/supervisor/settings", form, page="/supervisor/settings").status_code == 303

    me = (supervisor.user_id, "supervisor", "web")
    [pin] = entries(db, audit.PIN)
    assert (pin.actor_user_id, pin.actor_role, pin.interface) == me
    assert (pin.object_type, pin.object_id, pin.old, pin.new) == ("coaching_request", request.id, None, coach.coach_id)
    [forbid] = entries(db, audit.FORBID)
    assert (forbid.actor_user_id, forbid.actor_role, forbid.new) == (supervisor.user_id, "supervisor", coach.coach_id)
    [reassign] = entries(db, audit.REASSIGN)
    assert (reassign.actor_role, reassign.request_id) == ("supervisor", request.id)
    [approve] = entries(db, audit.APPROVE)
    assert (approve.actor_user_id, approve.object_type, approve.object_id) == (supervisor.user_id, "engagement", draft.id)
    assert (approve.old, approve.new, approve.request_id) == ("draft", "approved", other.id)
    [settings] = entries(db, audit.SETTINGS)
    assert (settings.actor_role, settings.object_type) == ("supervisor", "programme")
    assert settings.old == {"min_notice_hours": 48} and settings.new == {"min_notice_hours": 24}


def test_coachee_and_coach_changes_are_recorded(
    client: FlaskClient, coach_client: FlaskClient, db: Session, programme: Programme, coach: Person
) -> None:
    first = next_weekday_utc(0, 10, weeks_ahead=2)
    moved, moved_token = make_request(db, programme)
    moving = propose(db, moved, coach.coach_id, [first])  # type: ignore[arg-type]
    declined, declined_token = make_request(db, programme, coachee_email="d@coachees.example")
    propose(db, declined, coach.coach_id, [first + dt.timedelta(days=1)])  # type: ignore[arg-type]
    cancelled, cancelled_token = make_request(db, programme, coachee_email="c@coachees.example")
    by_coach, _ = make_request(db, programme, coachee_email="k@coachees.example")
    coach_declines = propose(db, by_coach, coach.coach_id, [first + dt.timedelta(days=2)])  # type: ignore[arg-type]
    db.commit()

    page = client.get(f"/r/{moved_token}/sessions/{moving.sessions[0].id}/reschedule").get_data(as_text=True)
    choice = page.split('name="start" value="')[1].split('"')[0]
    assert post(client, f"/r/{moved_token}/sessions/{moving.sessions[0].id}/reschedule",
                {"start": choice}).status_code == 303
    assert post(client, f"/r/{declined_token}/decline").status_code == 303
    assert post(client, f"/r/{cancelled_token}/cancel").status_code == 303
    assert post(coach_client, f"/coach/engagements/{coach_declines.id}/decline", page="/coach/").status_code == 303

    [reschedule] = entries(db, audit.RESCHEDULE)
    assert (reschedule.actor_role, reschedule.actor_user_id, reschedule.interface) == ("coachee", None, "web")
    assert (reschedule.object_type, reschedule.request_id) == ("coaching_session", moved.id)
    assert reschedule.new == choice.replace("Z", ":00+00:00") or reschedule.new.startswith(choice[:16])
    decline_entries = entries(db, audit.DECLINE)
    assert {(e.actor_role, e.actor_user_id, e.request_id) for e in decline_entries} == {
        ("coachee", None, declined.id), ("coach", coach.user_id, by_coach.id)}
    [cancel] = entries(db, audit.CANCEL)
    assert (cancel.actor_role, cancel.object_id, cancel.old, cancel.new) == (
        "coachee", cancelled.id, "waiting", "cancelled")


def test_the_api_is_named_as_the_interface(eager_app, db: Session, programme: Programme, supervisor: Person,  # type: ignore[no-untyped-def]
                                           coach: Person) -> None:
    from scheduler.models import User
    from scheduler.services.accounts import users as accounts

    token = accounts.issue_api_token(db, db.get(User, supervisor.user_id))  # type: ignore[arg-type]
    request, _ = make_request(db, programme)
    db.commit()
    response = eager_app.test_client().put(f"/api/v1/requests/{request.id}/pin", json={"coach_id": coach.coach_id},
                                            headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    [pin] = entries(db, audit.PIN)
    assert (pin.actor_user_id, pin.actor_role, pin.interface) == (supervisor.user_id, "supervisor", "api")


def test_the_log_cannot_be_changed_or_deleted(db: Session, programme: Programme) -> None:
    audit.record(db, audit.SETTINGS, programme, old={"name": "a"}, new={"name": "b"})
    db.commit()
    for statement in ("UPDATE audit_entry SET action = 'x'", "DELETE FROM audit_entry"):
        with pytest.raises(DatabaseError, match="append-only"):
            db.execute(text(statement))
        db.rollback()
    assert [e.action for e in db.scalars(select(AuditEntry))] == [audit.SETTINGS]


def test_audit_page_filters_and_csv_neutralises_formulas(
    supervisor_client: FlaskClient, client: FlaskClient, db: Session, programme: Programme
) -> None:
    request, _ = make_request(db, programme)
    db.commit()
    audit.set_actor(db, audit.Actor(None, "job", "job"))
    audit.record(db, audit.EXPIRE, request, old="waiting", new="=HYPERLINK(\"http://evil.example\")")
    audit.set_actor(db, audit.Actor(None, "operator", "cli"))
    audit.record(db, audit.SETTINGS, programme, old={"name": "a"}, new={"name": "b"})
    db.commit()

    page = supervisor_client.get("/supervisor/audit?action=expire")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<td>expire</td>" in html and "<td>operator</td>" not in html
    assert supervisor_client.get("/supervisor/audit?actor_role=operator").get_data(as_text=True).count("<tr>") == 2
    today = dt.datetime.now(dt.UTC).date()
    later = (today + dt.timedelta(days=1)).isoformat()
    assert "No entries match" in supervisor_client.get(f"/supervisor/audit?since={later}").get_data(as_text=True)

    bad = supervisor_client.get("/supervisor/audit?since=yesterday&object_id=x")
    assert bad.status_code == 422
    assert "From (UTC day)" in bad.get_data(as_text=True) and "Object id" in bad.get_data(as_text=True)

    exported = supervisor_client.get(f"/supervisor/audit.csv?since={today.isoformat()}")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert {r["action"] for r in rows} == {"expire", "settings"}
    expire = next(r for r in rows if r["action"] == "expire")
    assert expire["new"].startswith("'=") and expire["request_id"] == str(request.id)

    assert client.get("/supervisor/audit").status_code == 302  # anonymous: sign in first
    assert client.get("/supervisor/audit.csv").status_code == 302


def test_a_moved_session_keeps_its_entry_after_the_request_is_erased(
    client: FlaskClient, db: Session, programme: Programme, coach: Person
) -> None:
    request, token = make_request(db, programme, coachee_name="Ottoline Fairweather")
    propose(db, request, coach.coach_id, [next_weekday_utc(0, 10, weeks_ahead=2)])  # type: ignore[arg-type]
    db.commit()
    assert post(client, f"/r/{token}/decline").status_code == 303
    page = client.get(f"/r/{token}/erase")
    assert page.status_code == 200
    refused = post(client, f"/r/{token}/erase", {}, page=f"/r/{token}/erase")
    assert refused.status_code == 422
    assert post(client, f"/r/{token}/erase", {"confirm": "erase"}, page=f"/r/{token}/erase").status_code == 200
    assert client.get(f"/r/{token}").status_code == 403  # the link is gone with the data
    actions = [e.action for e in entries(db, audit.DECLINE) + entries(db, audit.ERASE)]
    assert actions == [audit.DECLINE, audit.ERASE]
    assert all(e.request_id == request.id for e in db.scalars(select(AuditEntry)))
    assert db.scalar(select(CoachingSession.status)) == "cancelled"


def test_coach_and_staff_changes_name_fields_never_values(
    coach_client: FlaskClient, supervisor_client: FlaskClient, db: Session, programme: Programme, coach: Person
) -> None:
    form = {"name": "Ada Renamed-Coachwell", "timezone": "Europe/Paris", "languages": ["en"], "topics": ["career"]}
    assert post(coach_client, "/coach/profile", form, page="/coach/profile").status_code == 303
    assert post(supervisor_client, f"/supervisor/coaches/{coach.coach_id}/deactivate",
                page="/supervisor/coaches").status_code == 303
    [profile] = entries(db, audit.PROFILE)
    assert (profile.actor_role, profile.actor_user_id, profile.coach_id) == ("coach", coach.user_id, coach.coach_id)
    assert profile.new == ["name", "timezone", "languages", "topics"]
    assert "Renamed" not in str(profile.old) + str(profile.new)
    [deactivated] = entries(db, audit.DEACTIVATE)
    assert (deactivated.actor_role, deactivated.object_id) == ("supervisor", coach.coach_id)
