"""Alternatives for one session obey the solver's hard rules; moving re-invites both people.

`every_time` asks for all alternatives at once, so these rule-by-rule checks see the
whole set the solver package accepts, not only the first page of it.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import AvailabilityException, BusyTime, Coach, CoachingSession, OutboxMessage, Programme, utcnow
from scheduler.services.errors import Conflict
from scheduler.services.requests import reschedule
from tests.web.conftest import Person, make_coach, make_programme, make_request, next_weekday_utc, propose

NEW_YORK, TOKYO = ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")


@pytest.fixture
def coach(db: Session) -> Person:
    """A coach in New York, weekdays 09:00-17:00 (the web tests' coach)."""
    person = make_coach(db, make_programme(db))
    db.commit()
    return person


@pytest.fixture
def programme(db: Session, coach: Person) -> Programme:
    return db.get_one(Programme, db.get_one(Coach, coach.coach_id).programme_id)


def _engagement(db: Session, programme: Programme, coach: Person, starts: list[dt.datetime], **request_values: object):  # type: ignore[no-untyped-def]
    request, _ = make_request(db, programme, **request_values)
    return propose(db, request, coach.coach_id, starts)


def every_time(db: Session, session: CoachingSession, **kw: object) -> list[reschedule.Alternative]:
    found = reschedule.alternatives(db, session, limit=10_000, **kw)  # type: ignore[arg-type]
    return sorted(found, key=lambda o: o.start_utc)


def _local(option: reschedule.Alternative, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    return option.start_utc.astimezone(zone), option.end_utc.astimezone(zone)


def test_free_times_lie_in_the_coachs_week_on_the_grid_after_notice(
    db: Session, programme: Programme, coach: Person
) -> None:
    now = dt.datetime.now(dt.UTC)
    session = _engagement(db, programme, coach, [next_weekday_utc(2, 10, weeks_ahead=2)]).sessions[0]
    options = every_time(db, session, now=now)
    assert options
    for option in options:
        start, end = _local(option, NEW_YORK)
        assert (
            start.weekday() < 5
            and dt.time(9) <= start.time()
            and end.time() <= dt.time(17)
            and end.date() == start.date()
        )
        assert start.minute in (0, 30)
        assert option.start_utc >= now + dt.timedelta(hours=48)
        assert option.start_utc != session.start_utc
        assert option.end_utc - option.start_utc == dt.timedelta(hours=1)


def test_free_times_lie_in_the_coachees_windows(db: Session, programme: Programme, coach: Person) -> None:
    # Tokyo 23:00-01:00 is New York 09:00-11:00 (10:00-12:00 in summer time)
    windows = {day: [["23:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    session = _engagement(db, programme, coach, [next_weekday_utc(2, 9, weeks_ahead=2)], windows=windows).sessions[0]
    options = every_time(db, session)
    assert options
    for option in options:
        start, end = _local(option, TOKYO)
        assert start.time() == dt.time(23) and end.time() == dt.time(0)


def test_buffer_around_the_coachs_other_sessions_and_busy_times(
    db: Session, programme: Programme, coach: Person
) -> None:
    session = _engagement(db, programme, coach, [next_weekday_utc(0, 9, weeks_ahead=2)]).sessions[0]
    other_start = next_weekday_utc(2, 12, weeks_ahead=2)
    _engagement(db, programme, coach, [other_start], coachee_email="other@x.example")
    busy_start = next_weekday_utc(3, 12, weeks_ahead=2)
    db.add(BusyTime(coach_id=coach.coach_id, start_utc=busy_start, end_utc=busy_start + dt.timedelta(hours=1)))
    db.flush()
    starts = {o.start_utc for o in every_time(db, session)}
    for blocked in (other_start, busy_start):
        assert blocked - dt.timedelta(minutes=60) not in starts  # would end 11:45-free? no: ends at 12:00
        assert blocked - dt.timedelta(minutes=90) in starts  # ends 11:30, 30 min before
        assert blocked + dt.timedelta(minutes=60) not in starts  # starts right at the end: no buffer
        assert blocked + dt.timedelta(minutes=90) in starts  # 30 min after
        assert blocked not in starts


def test_gap_days_to_neighbouring_sessions(db: Session, programme: Programme, coach: Person) -> None:
    first = next_weekday_utc(0, 10, weeks_ahead=1)
    starts = [first, first + dt.timedelta(days=7), first + dt.timedelta(days=14)]
    engagement = _engagement(db, programme, coach, starts)
    middle = engagement.sessions[1]
    dates = {o.start_utc.astimezone(TOKYO).date() for o in every_time(db, middle)}
    # 7 to 21 days from both neighbours: only the same coachee-local date fits
    assert dates == {middle.start_utc.astimezone(TOKYO).date()}
    last = engagement.sessions[2]
    dates = {o.start_utc.astimezone(TOKYO).date() for o in every_time(db, last)}
    middle_date = middle.start_utc.astimezone(TOKYO).date()
    assert dates and min(dates) >= middle_date + dt.timedelta(days=7)
    assert max(dates) <= middle_date + dt.timedelta(days=21)


def test_daily_and_weekly_caps(db: Session, programme: Programme, coach: Person) -> None:
    record = db.get(Coach, coach.coach_id)
    record.max_sessions_per_day = 1
    session = _engagement(db, programme, coach, [next_weekday_utc(0, 9, weeks_ahead=3)]).sessions[0]
    other = next_weekday_utc(2, 9, weeks_ahead=2)
    _engagement(db, programme, coach, [other], coachee_email="other@x.example")
    days = {o.start_utc.astimezone(NEW_YORK).date() for o in every_time(db, session)}
    assert other.astimezone(NEW_YORK).date() not in days
    record.max_sessions_per_week = 1
    db.flush()
    weeks = {o.start_utc.astimezone(NEW_YORK).isocalendar()[:2] for o in every_time(db, session)}
    assert other.astimezone(NEW_YORK).isocalendar()[:2] not in weeks


def test_a_date_exception_replaces_the_weekly_pattern(db: Session, programme: Programme, coach: Person) -> None:
    session = _engagement(db, programme, coach, [next_weekday_utc(0, 9, weeks_ahead=3)]).sessions[0]
    off = next_weekday_utc(1, 9, weeks_ahead=2).astimezone(NEW_YORK).date()
    evening = next_weekday_utc(5, 9, weeks_ahead=2).astimezone(NEW_YORK).date()  # a Saturday
    db.add(AvailabilityException(coach_id=coach.coach_id, date=off))
    db.add(AvailabilityException(coach_id=coach.coach_id, date=evening, start=dt.time(18), end=dt.time(20)))
    db.flush()
    db.refresh(db.get(Coach, coach.coach_id))
    options = [_local(o, NEW_YORK)[0] for o in every_time(db, session)]
    assert not [o for o in options if o.date() == off]
    assert [o.time() for o in options if o.date() == evening] == [dt.time(18), dt.time(18, 30), dt.time(19)]


def test_no_time_that_does_not_exist_or_spans_a_clock_change(db: Session, programme: Programme, coach: Person) -> None:
    record = db.get(Coach, coach.coach_id)
    record.timezone = "Europe/Brussels"
    programme.horizon_start, programme.horizon_end = dt.date(2027, 3, 1), dt.date(2027, 4, 30)
    db.add(AvailabilityException(coach_id=coach.coach_id, date=dt.date(2027, 3, 28), start=dt.time(1), end=dt.time(5)))
    db.flush()
    db.refresh(record)
    session = _engagement(
        db, programme, coach, [dt.datetime(2027, 4, 6, 8, tzinfo=dt.UTC)], earliest_start=dt.date(2027, 3, 1)
    ).sessions[0]
    now = dt.datetime(2027, 3, 20, tzinfo=dt.UTC)
    brussels = ZoneInfo("Europe/Brussels")
    sunday = [
        o.start_utc.astimezone(brussels).strftime("%H:%M")
        for o in every_time(db, session, now=now)
        if o.start_utc.astimezone(brussels).date() == dt.date(2027, 3, 28)
    ]
    # 01:30 would span the change and 02:00-02:59 does not exist that night; 01:00-02:00 ends
    # as the clocks change, which the solver's validator counts as not spanning it (half-open).
    assert sunday == ["01:00", "03:00", "03:30", "04:00"]


def test_alternatives_spread_over_weeks_and_days_nearest_first(db: Session, programme: Programme, coach: Person) -> None:
    session = _engagement(db, programme, coach, [next_weekday_utc(2, 10, weeks_ahead=3)]).sessions[0]
    offered = reschedule.alternatives(db, session)
    assert len(offered) == reschedule.SHOWN_AT_FIRST
    days = [o.start_utc.astimezone(TOKYO).date() for o in offered]
    weeks = [o.start_utc.astimezone(TOKYO).isocalendar()[:2] for o in offered]
    assert len(set(days)) == len(days), "one time per day before a second one on any day"
    assert len(set(weeks)) >= 3
    # The first is the nearest of all free times; "more" continues the same order.
    everything = every_time(db, session)
    assert offered[0] == min(everything, key=lambda o: abs(o.start_utc - session.start_utc))
    more = reschedule.alternatives(db, session, limit=2 * reschedule.SHOWN_AT_FIRST)
    assert more[: len(offered)] == offered and len(more) == 2 * reschedule.SHOWN_AT_FIRST


def test_move_session_reinvites_and_refuses_other_times(db: Session, programme: Programme, coach: Person) -> None:
    session = _engagement(db, programme, coach, [next_weekday_utc(2, 10, weeks_ahead=2)]).sessions[0]
    session.reminder_sent_at = utcnow()  # reminded for the old time
    with pytest.raises(Conflict) as refused:
        reschedule.move_session(db, session, session.start_utc + dt.timedelta(minutes=10))
    assert "start" in refused.value.fields
    target = reschedule.alternatives(db, session)[0]
    reschedule.move_session(db, session, target.start_utc)
    assert (session.start_utc, session.end_utc, session.sequence, session.status) == (
        target.start_utc,
        target.end_utc,
        1,
        "scheduled",
    )
    assert session.reminder_sent_at is None, "the new time gets its own reminder"
    kinds = {(m.kind, m.recipient_role, m.sequence) for m in db.scalars(select(OutboxMessage))}
    assert kinds == {("REQUEST", "coach", 1), ("REQUEST", "coachee", 1)}


def test_only_live_requests_can_move(db: Session, programme: Programme, coach: Person) -> None:
    session = _engagement(db, programme, coach, [next_weekday_utc(2, 10, weeks_ahead=2)]).sessions[0]
    target = reschedule.alternatives(db, session)[0]
    session.engagement.request.status = "cancelled"
    db.flush()
    with pytest.raises(Conflict):
        reschedule.move_session(db, session, target.start_utc)
    assert db.scalar(select(CoachingSession.sequence)) == 0
