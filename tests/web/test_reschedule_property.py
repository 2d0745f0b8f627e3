"""Property: every time the reschedule service offers is accepted by `solver.validate` in place
of the session, across daylight-saving changes and with supervision hours near the limit;
and the first offers fall on three different days whenever the coach has three.

Besides the validator, two rules are checked here by hand, from the database, so that a
slip in the instance the translator builds cannot hide: the coach's wall-clock
availability (weekdays 09:00-17:00 in the coach's timezone, on the half hour) and the
supervision hours (rule 10) counted from the coach's stored figures.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

import solver
from scheduler.models import Coach, Programme
from scheduler.services.requests import reschedule
from scheduler.translator import build_move_question
from solver.validate import validate
from tests.web.conftest import Person, make_request, propose

# (now, horizon start, horizon end): each horizon holds a change of the clocks in Europe
# (last Sunday of March / October) and in the United States (second Sunday of March /
# first Sunday of November).
SEASONS = (
    (dt.datetime(2027, 3, 1, 8, tzinfo=dt.UTC), dt.date(2027, 3, 1), dt.date(2027, 5, 15)),
    (dt.datetime(2027, 10, 4, 8, tzinfo=dt.UTC), dt.date(2027, 10, 4), dt.date(2027, 12, 15)),
)
ZONES = ("Europe/Brussels", "America/New_York", "Asia/Tokyo", "Europe/London")
LIMIT = 35.0  # accredited coaches' hours between supervisions in the test programme


def _validated(db: Session, session: Any, offer: reschedule.Alternative, now: dt.datetime) -> list[str]:
    asked = build_move_question(db, session, now)
    instance = solver.parse_instance(asked.instance)
    sessions = [
        solver.Session(dt.datetime.fromisoformat(s["start"]), dt.datetime.fromisoformat(s["end"]))
        for s in asked.engagement["sessions"]
    ]
    sessions[asked.index] = solver.Session(offer.start_utc, offer.end_utc)
    plan = solver.Assignment(asked.engagement["request"], asked.engagement["coach"], tuple(sessions))
    weight = instance.weight(instance.requests[0])
    return validate(instance, solver.Solution("FEASIBLE", weight, None, (plan,)))


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    season=st.sampled_from(SEASONS),
    coach_zone=st.sampled_from(ZONES),
    coachee_zone=st.sampled_from(ZONES),
    first_week=st.integers(1, 4),
    spare_hours=st.sampled_from([0.5, 1.0, 2.0, 3.0, 10.0]),
    supervision_day=st.integers(5, 60),
    which=st.integers(0, 2),
)
def test_every_offer_is_valid_in_place_of_the_session(
    db: Session,
    programme: Programme,
    coach: Person,
    season: tuple[dt.datetime, dt.date, dt.date],
    coach_zone: str,
    coachee_zone: str,
    first_week: int,
    spare_hours: float,
    supervision_day: int,
    which: int,
) -> None:
    now, start, end = season
    savepoint = db.begin_nested()
    programme = db.scalars(select(Programme)).one()  # fresh each example: the last one's objects are gone
    try:
        programme.horizon_start, programme.horizon_end = start, end
        programme.max_hours_accredited = LIMIT
        record = db.get_one(Coach, coach.coach_id)
        record.timezone = coach_zone
        record.coaching_hours_since_supervision = LIMIT - spare_hours
        record.next_supervision = now + dt.timedelta(days=supervision_day)
        record.max_sessions_per_week = 3
        zone = ZoneInfo(coach_zone)
        monday = start + dt.timedelta(days=7 * first_week - start.weekday())
        # Three sessions three weeks apart, Tuesdays 10:00 on the coach's clock.
        starts = [
            dt.datetime.combine(monday + dt.timedelta(days=1 + 21 * k), dt.time(10), tzinfo=zone).astimezone(dt.UTC)
            for k in range(3)
        ]
        request, _ = make_request(
            db, programme, timezone=coachee_zone, earliest_start=start, min_gap_days=7, max_gap_days=21
        )
        engagement = propose(db, request, coach.coach_id or 0, starts)
        session = sorted(engagement.sessions, key=lambda s: s.start_utc)[which]

        offers = reschedule.alternatives(db, session, now=now, limit=8)
        for offer in offers:
            assert _validated(db, session, offer, now) == [], offer
            local = offer.start_utc.astimezone(zone)
            assert local.weekday() < 5 and local.minute in (0, 30)
            assert dt.time(9) <= local.time() and (offer.end_utc.astimezone(zone)).time() <= dt.time(17)
            # Rule 10 by hand: the engagement's hours before the next supervision, with this move.
            hours = sum(
                1.0
                for s in engagement.sessions
                if (offer.start_utc if s.id == session.id else s.start_utc) < record.next_supervision
            )
            assert record.coaching_hours_since_supervision + hours <= LIMIT

        everything = reschedule.alternatives(db, session, now=now, limit=500)
        days = {o.start_utc.astimezone(ZoneInfo(coachee_zone)).date() for o in everything}
        first_days = {o.start_utc.astimezone(ZoneInfo(coachee_zone)).date() for o in offers[:3]}
        assert len(first_days) == min(3, len(days))
        if spare_hours >= 10:
            assert offers, "a coach free every weekday has other times"
    finally:
        savepoint.rollback()
        db.expunge_all()  # the next example starts from the stored programme and coach
