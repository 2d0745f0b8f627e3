"""Programme settings with field errors, and managing coaches (invite, level, deactivate)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import Coach, EngagementStatus, OutboxMessage, Supervisor, User
from scheduler.services.accounts import users
from scheduler.services.accounts.tokens import token_hash
from scheduler.services.coaches import staff
from scheduler.services.errors import Conflict, InvalidInput
from scheduler.services.programmes import settings as programme_settings
from tests.web.conftest import make_coach, make_programme, make_request, propose


def test_settings_round_trip_and_partial_update(db: Session) -> None:
    programme = make_programme(db)
    values = programme_settings.settings_of(programme)
    programme_settings.update_settings(
        db, programme, {**values, "session_minutes": "90", "topics": "career, leadership, wellbeing, sport"}
    )
    assert programme.session_minutes == 90 and programme.topics[-1] == "sport"
    programme_settings.update_settings(db, programme, {"min_notice_hours": 24}, partial=True)
    assert programme.min_notice_hours == 24 and programme.session_minutes == 90


def test_settings_errors_name_each_field_and_change_nothing(db: Session) -> None:
    programme = make_programme(db)
    before = programme_settings.settings_of(programme)
    bad = {
        **before,
        "name": "",
        "timezone": "Mars/Olympus",
        "horizon_end": "2000-01-01",
        "session_minutes": "50",  # not a multiple of 30
        "min_gap_days": "10",
        "max_gap_days": "5",
        "sensitive_topics": "gardening",
        "languages": "english",
        "max_hours_senior": "-1",
    }
    with pytest.raises(InvalidInput) as caught:
        programme_settings.update_settings(db, programme, bad)
    assert set(caught.value.fields) == {
        "name", "timezone", "horizon_end", "session_minutes", "max_gap_days", "sensitive_topics", "languages",
        "max_hours_senior",
    }  # fmt: skip
    assert programme_settings.settings_of(programme) == before
    with pytest.raises(InvalidInput) as caught:
        programme_settings.update_settings(db, programme, {"colour": "blue", "horizon_start": "soon"}, partial=True)
    assert caught.value.fields == {"colour": "is not a setting", "horizon_start": "must be a date (YYYY-MM-DD)"}
    with pytest.raises(InvalidInput) as caught:
        programme_settings.update_settings(db, programme, {"horizon_start": "0001-01-01"}, partial=True)
    assert caught.value.fields == {"horizon_start": "must be a date between the years 2000 and 2100"}


def test_a_topic_waiting_requests_ask_for_cannot_be_removed(db: Session) -> None:
    programme = make_programme(db)
    make_request(db, programme, topics=["career"])
    with pytest.raises(InvalidInput) as caught:
        programme_settings.update_settings(
            db, programme, {"topics": ["leadership"], "sensitive_topics": []}, partial=True
        )
    assert "career" in caught.value.fields["topics"]


def test_invite_coach_creates_account_token_and_notice(db: Session) -> None:
    programme = make_programme(db)
    boss = Supervisor(programme_id=programme.id, name="Bo", email="bo@programme.example")
    db.add(boss)
    db.flush()
    invitation = staff.invite_coach(
        db, programme,
        {"name": "Nia New", "email": "nia@coaches.example", "timezone": "Europe/Brussels", "languages": "en, nl",
         "topics": ["career"], "level": "trainee", "supervisor_id": str(boss.id)},
    )  # fmt: skip
    user = db.get_one(User, invitation.user.id)
    assert user.role == "coach" and user.password_hash is None
    assert invitation.coach.user_id == user.id and invitation.coach.supervisor_id == boss.id
    message = db.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "nia@coaches.example")).one()
    assert message.kind == "INVITATION" and message.payload["name"] == invitation.coach.name
    assert message.payload["token"] == invitation.token
    assert users.invitation_user(db, invitation.token).id == user.id
    assert token_hash(invitation.token) != invitation.token

    again = staff.resend_invitation(db, programme, invitation.coach.id)
    assert again.token != invitation.token
    assert len(db.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "nia@coaches.example")).all()) == 2
    users.set_password_with_token(db, again.token, "a long enough password", "a long enough password")
    with pytest.raises(Conflict, match="set a password already"):
        staff.resend_invitation(db, programme, invitation.coach.id)


def test_invite_coach_bad_input_names_fields(db: Session) -> None:
    programme = make_programme(db)
    make_coach(db, programme, "ada@coaches.example")
    with pytest.raises(InvalidInput) as caught:
        staff.invite_coach(
            db,
            programme,
            {
                "name": "",
                "email": "ada@coaches.example",
                "timezone": "Nowhere",
                "languages": "",
                "level": "trainee",
                "supervisor_id": "77",
            },
        )
    assert set(caught.value.fields) >= {"name", "email", "timezone", "languages", "supervisor_id"}
    assert caught.value.fields["email"] == "already has an account"
    with pytest.raises(InvalidInput) as caught:
        staff.invite_coach(
            db,
            programme,
            {"name": "T", "email": "t@coaches.example", "timezone": "UTC", "languages": "en", "level": "trainee"},
        )
    assert caught.value.fields == {"supervisor_id": "a trainee coach needs a supervisor"}


def test_set_level_and_deactivate(db: Session) -> None:
    programme = make_programme(db)
    person = make_coach(db, programme)
    coach = db.get_one(Coach, person.coach_id)
    with pytest.raises(InvalidInput) as caught:
        staff.set_level(db, programme, coach.id, "trainee", "")
    assert caught.value.fields == {"supervisor_id": "a trainee coach needs a supervisor"}
    with pytest.raises(InvalidInput) as caught:
        staff.set_level(db, programme, coach.id, "guru")
    assert "level" in caught.value.fields
    staff.set_level(db, programme, coach.id, "senior")
    assert coach.level == "senior"

    user = db.get_one(User, person.user_id)
    users.issue_api_token(db, user)
    request, _ = make_request(db, programme)
    draft = propose(db, request, coach.id, [], status=EngagementStatus.DRAFT.value)
    staff.deactivate(db, programme, coach.id)
    assert not coach.active and not user.active and user.api_token_hash is None
    assert draft.status == EngagementStatus.SUPERSEDED.value
    assert users.authenticate(db, person.email, person.password) is None
    staff.reactivate(db, programme, coach.id)
    assert coach.active and user.active


def test_settings_switch_capacity_over_time(db: Session) -> None:
    programme = make_programme(db)
    assert programme.capacity_over_time  # on for a new programme
    values = programme_settings.settings_of(programme)
    programme_settings.update_settings(db, programme, {**values, "capacity_over_time": ""})  # check box left empty
    assert programme.capacity_over_time is False
    programme_settings.update_settings(db, programme, {"capacity_over_time": "1"}, partial=True)
    assert programme.capacity_over_time is True


def test_load_counts_coachees_at_once_per_week(db: Session) -> None:
    import datetime as dt

    from scheduler.services.planning import supervision

    programme = make_programme(db)
    coach = make_coach(db, programme, max_active_coachees=2, timezone="Europe/Brussels")
    monday = programme.horizon_start + dt.timedelta(days=7 - programme.horizon_start.weekday())
    at = dt.datetime.combine(monday, dt.time(9), tzinfo=dt.UTC)
    week = dt.timedelta(days=7)
    # Two engagements overlap in the first full week; the second ends in the next; a third
    # starts at the instant the second ends, so the third week has one at once.
    for email, starts in (
        ("a@x.example", [at, at + dt.timedelta(days=2)]),
        ("b@x.example", [at + dt.timedelta(days=1), at + week + dt.timedelta(days=1)]),
        ("c@x.example", [at + week + dt.timedelta(days=1, hours=1), at + 2 * week]),
    ):
        request, _ = make_request(db, programme, coachee_email=email)
        propose(db, request, coach.coach_id, starts)
    chart = supervision.coach_load(db, programme)
    (row,) = chart.coaches
    by_monday = {cell.week.monday: cell for cell in row.weeks}
    assert [by_monday[monday + k * week].coachees for k in (0, 1, 2, 3)] == [2, 1, 1, 0]
    assert by_monday[monday].coachee_cap == 2
