"""Group supervision through the service: settings, planning on the demo programme, approval with
invitations and feed entries, attendance that resets a coach's hours."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import Settings
from scheduler.db import Database
from scheduler.demo import load_demo
from scheduler.models import Coach, CoachingSession, OutboxMessage, Programme, SessionStatus, Supervisor
from scheduler.services.attendance import operations as attendance
from scheduler.services.coaches.feeds import coach_feed
from scheduler.services.errors import InvalidInput
from scheduler.services.messaging import delivery
from scheduler.services.planning.approval import approve as approve_coaching
from scheduler.services.planning.solving import solve_now
from scheduler.services.supervision_sessions import operations as supervision
from scheduler.services.supervision_sessions import queries as supervision_queries
from scheduler.services.supervision_sessions.models import SupervisionStatus
from solver.supervision.codec import parse_instance
from solver.supervision.validate import validate

# The demo coaches coach on weekday evenings and Saturday mornings (from Singapore to New York):
# the supervisor offers weekdays 09:00-22:00 and Saturdays 09:00-18:00 in Brussels.
SUPERVISOR_WEEK = "; ".join(f"{day} 09:00-22:00" for day in ("mon", "tue", "wed", "thu", "fri")) + "; sat 09:00-18:00"


def _demo(database: Database, settings: Settings) -> tuple[int, dt.datetime]:
    """The demo programme with its coaching solved and approved; returns its id and a moment a week in."""
    with database.sessions() as db, db.begin():
        load_demo(db, password="demo-password-1")
        programme_id = db.scalar(select(Programme.id))
    assert programme_id is not None
    run = solve_now(database, programme_id, replace(settings, solver_time_limit=5.0, solver_workers=1))
    assert run.status == "done"
    with database.sessions() as db, db.begin():
        programme = db.get_one(Programme, programme_id)
        assert approve_coaching(db, programme, None)
        # Every coach was just supervised, and the limits are tighter than the demo's, so that over
        # twelve weeks the busiest half of the coaches need supervision.
        programme.max_hours_trainee, programme.max_hours_accredited, programme.max_hours_senior = 8, 8, 10
        for coach in db.scalars(select(Coach)):
            coach.coaching_hours_since_supervision = 0.0
            coach.next_supervision = None  # the planner places the next one
        start = min(db.scalars(select(CoachingSession.start_utc).where(CoachingSession.status == SessionStatus.SCHEDULED.value)))
    return programme_id, start + dt.timedelta(days=7)


def test_demo_programme_over_12_weeks_no_coach_passes_the_limit_counting_held_hours(
    sqlite_db: Database, file_settings: Settings
) -> None:
    programme_id, now = _demo(sqlite_db, file_settings)
    with sqlite_db.sessions() as db, db.begin():
        programme = db.get_one(Programme, programme_id)
        supervisor = db.scalars(select(Supervisor)).one()
        supervision.save_settings(
            db, supervisor, programme,
            {"timezone": "Europe/Brussels", "weekly": SUPERVISOR_WEEK, "session_minutes": "90", "max_group_size": "4"},
        )  # fmt: skip
        # A week in: the sessions so far count as held, except one the coach marked as a no-show.
        past = db.scalars(select(CoachingSession).where(CoachingSession.end_utc <= now).order_by(CoachingSession.id)).all()
        assert past
        attendance.record_outcome(db, past[0].id, "no_show", coach_id=past[0].coach_id, now=now)
        coaches = supervision.supervised_coaches(db, programme, supervisor)
        held = supervision_queries.hours_since_supervision(db, coaches, now)
        assert sum(h.held for h in held.values()) > 0
        horizon_end = (now + dt.timedelta(weeks=12)).date()
        before = parse_instance(supervision.build_supervision_instance(db, programme, supervisor, now, horizon_end=horizon_end))
        result = supervision.plan_supervision(db, programme, supervisor, now=now, horizon_end=horizon_end, time_limit=20)
        assert result.left_out == [], result.left_out
        assert result.problems == []
        approved = supervision.approve(db, supervisor, now=now)
        plan = result.plan
        # Not vacuous: without supervision several coaches would pass their limit.
        assert len(validate(before, replace(plan, sessions=()))) >= 3
        assert validate(before, plan) == []
        assert len(approved) == len(plan.sessions) >= 2
        invited = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == supervision.INVITATION)).all()
        assert len(invited) == sum(len(s.coaches) for s in plan.sessions)


def test_settings_name_each_bad_field(sqlite_db: Database, file_settings: Settings) -> None:
    with sqlite_db.sessions() as db, db.begin():
        load_demo(db, password="demo-password-1")
        programme = db.scalars(select(Programme)).one()
        supervisor = db.scalars(select(Supervisor)).one()
        with pytest.raises(InvalidInput) as err:
            supervision.save_settings(
                db, supervisor, programme, {"timezone": "Mars/Base", "weekly": "someday", "session_minutes": "5", "max_group_size": "0"}
            )
        assert set(err.value.fields) == {"timezone", "weekly", "session_minutes", "max_group_size"}


def _one_supervision(db: Session, now: dt.datetime) -> tuple[Supervisor, Coach, int]:
    load_demo(db, password="demo-password-1")
    programme = db.scalars(select(Programme)).one()
    supervisor = db.scalars(select(Supervisor)).one()
    coach = db.scalars(select(Coach).order_by(Coach.id)).first()
    assert coach is not None
    coach.coaching_hours_since_supervision = 60.0  # over every limit: supervised as soon as possible
    supervision.save_settings(
        db, supervisor, programme, {"timezone": "Europe/Brussels", "weekly": SUPERVISOR_WEEK, "session_minutes": "90", "max_group_size": "4"}
    )
    result = supervision.plan_supervision(db, programme, supervisor, now=now, time_limit=5)
    [session] = [s for s in result.sessions if any(p.coach_id == coach.id for p in s.participants)]
    return supervisor, coach, session.id


def test_approval_invites_by_e_mail_and_the_coachs_feed_shows_it(sqlite_db: Database, file_settings: Settings) -> None:
    now = dt.datetime.now(dt.UTC)
    with sqlite_db.sessions() as db, db.begin():
        supervisor, coach, session_id = _one_supervision(db, now)
        coach_id = coach.id
        supervision.approve(db, supervisor, [session_id], now=now)
    sent, failed = delivery.deliver_all_pending(sqlite_db, file_settings)
    assert sent >= 1 and failed == 0
    mails = [message_from_bytes(m.read_bytes(), policy=policy.default) for m in Path(file_settings.mail_dir).glob("*.eml")]
    [invitation] = [m for m in mails if m["Subject"] == "Invitation: group supervision"]
    calendars = [part for part in invitation.walk() if part.get_content_type() == "text/calendar"]
    assert calendars and "METHOD:REQUEST" in calendars[0].get_content()
    with sqlite_db.sessions() as db:
        feed = coach_feed(db, db.get_one(Coach, coach_id), file_settings, now=now).decode()
        assert "Group supervision" in feed


def test_attendance_recorded_by_the_supervisor_resets_hours_and_absence_does_not(sqlite_db: Database) -> None:
    now = dt.datetime.now(dt.UTC)
    with sqlite_db.sessions() as db, db.begin():
        supervisor, coach, session_id = _one_supervision(db, now)
        supervision.approve(db, supervisor, [session_id], now=now)
        with pytest.raises(InvalidInput):
            supervision.record_attendance(db, supervisor, session_id, [coach.id], now=now)  # not started yet
        later = now + dt.timedelta(days=30)
        supervision.record_attendance(db, supervisor, session_id, [], now=later)
        assert supervision_queries.hours_since_supervision(db, [coach], later)[coach.id].total == 60.0
        supervision.record_attendance(db, supervisor, session_id, [coach.id], now=later)
        hours = supervision_queries.hours_since_supervision(db, [coach], later)[coach.id]
        assert hours.carried == 0.0 and hours.since is not None
        assert supervision.sessions_of(db, supervisor, SupervisionStatus.APPROVED)[0].participants
