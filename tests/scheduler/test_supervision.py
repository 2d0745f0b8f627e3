"""The supervision ledger, coaches' weekly load and the calendar of sessions (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from scheduler.models import Coach, EngagementStatus, Level, Supervisor
from scheduler.services.errors import InvalidInput
from scheduler.services.planning import supervision
from tests.web.conftest import make_programme, make_request, propose
from tests.web.supervisor_builders import quick_coach


def _future(days: int, hour: int = 15) -> dt.datetime:
    now = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    return (now + dt.timedelta(days=days)).replace(hour=hour)


def test_ledger_counts_hours_and_blocks_a_coach_at_the_supervision_ratio(any_db: Session) -> None:
    db = any_db
    programme = make_programme(db)
    programme.max_hours_accredited = 10
    tired = db.get_one(Coach, quick_coach(db, programme, "tired@coaches.example", name="Tia Tired"))
    tired.coaching_hours_since_supervision = 8.0
    fresh = db.get_one(Coach, quick_coach(db, programme, "fresh@coaches.example", name="Fay Fresh"))
    request, _ = make_request(db, programme)
    # Two approved hours still to come: 8 + 2 = 10 of 10, no room for another one-hour session.
    propose(db, request, tired.id, [_future(10), _future(17)])
    db.flush()

    ledger = supervision.supervision_ledger(db, programme)
    lines = {line.coach.id: line for line in ledger.coaches}
    assert lines[tired.id].recorded_hours == 8.0
    assert lines[tired.id].booked_hours == 2.0
    assert lines[tired.id].committed_hours == 10.0
    assert lines[tired.id].active_coachees == 1
    assert lines[tired.id].blocked
    assert any("supervision ratio: 10 of 10 hours" in r for r in lines[tired.id].blocked_reasons)
    assert not lines[fresh.id].blocked
    assert lines[fresh.id].remaining_hours == 10.0
    assert [line.coach.id for line in ledger.blocked] == [tired.id]


def test_hours_after_the_next_supervision_do_not_count(db: Session) -> None:
    programme = make_programme(db)
    programme.max_hours_accredited = 3
    coach = db.get_one(Coach, quick_coach(db, programme, "ada@coaches.example"))
    coach.next_supervision = _future(12)
    request, _ = make_request(db, programme)
    propose(db, request, coach.id, [_future(5), _future(20), _future(27)])
    line = supervision.supervision_ledger(db, programme).coaches[0]
    assert line.booked_hours == 1.0  # only the session before the supervision
    assert not line.blocked


def test_trainee_engagements_per_supervisor_and_full_supervisor_blocks_trainees(any_db: Session) -> None:
    db = any_db
    programme = make_programme(db)
    boss = Supervisor(
        programme_id=programme.id, name="Bo Boss", email="bo@programme.example", max_trainee_engagements=1
    )
    db.add(boss)
    db.flush()
    trainee = db.get_one(
        Coach,
        quick_coach(
            db, programme, "tr@coaches.example", name="Tom Trainee", level=Level.TRAINEE.value, supervisor_id=boss.id
        ),
    )
    orphan = db.get_one(
        Coach, quick_coach(db, programme, "or@coaches.example", name="Olga Orphan", level=Level.TRAINEE.value)
    )
    first, _ = make_request(db, programme, coachee_email="a@x.example")
    second, _ = make_request(db, programme, coachee_email="b@x.example")
    propose(db, first, trainee.id, [_future(10)])
    propose(db, second, trainee.id, [_future(11)], status=EngagementStatus.DRAFT.value)

    ledger = supervision.supervision_ledger(db, programme)
    (load,) = ledger.supervisors
    assert (load.active_trainee_engagements, load.draft_trainee_engagements, load.max) == (1, 1, 1)
    assert load.full and [c.id for c in load.trainees] == [trainee.id]
    reasons = {line.coach.id: line.blocked_reasons for line in ledger.coaches}
    assert any("supervisor Bo Boss is full: 1 of 1" in r for r in reasons[trainee.id])
    assert any("trainee without a supervisor" in r for r in reasons[orphan.id])


def test_capacity_inactive_and_no_availability_are_reasons(db: Session) -> None:
    programme = make_programme(db)
    coach = db.get_one(Coach, quick_coach(db, programme, "ada@coaches.example", max_active_coachees=0))
    coach.active = False
    coach.availability = []
    db.flush()
    (line,) = supervision.supervision_ledger(db, programme).coaches
    text = "; ".join(line.blocked_reasons)
    assert "deactivated" in text and "at capacity: 0 of 0" in text and "no weekly availability" in text


def test_load_counts_sessions_per_iso_week_in_the_coachs_timezone(db: Session) -> None:
    programme = make_programme(db)
    coach = db.get_one(
        Coach, quick_coach(db, programme, "ada@coaches.example", timezone="Pacific/Auckland", max_sessions_per_week=1)
    )
    zone = ZoneInfo("Pacific/Auckland")
    # Monday 08:00 in Auckland is still Sunday in UTC: it belongs to the Monday's ISO week.
    week = programme.horizon_start + dt.timedelta(days=14)
    monday = week - dt.timedelta(days=week.weekday())
    local_monday = dt.datetime.combine(monday, dt.time(8), tzinfo=zone)
    assert local_monday.astimezone(dt.UTC).weekday() == 6
    request, _ = make_request(db, programme)
    propose(
        db,
        request,
        coach.id,
        [local_monday.astimezone(dt.UTC), (local_monday + dt.timedelta(hours=3)).astimezone(dt.UTC)],
    )
    other, _ = make_request(db, programme, coachee_email="o@x.example")
    propose(
        db,
        other,
        coach.id,
        [(local_monday + dt.timedelta(days=1)).astimezone(dt.UTC)],
        status=EngagementStatus.DRAFT.value,
    )

    chart = supervision.coach_load(db, programme)
    (row,) = chart.coaches
    cell = next(c for c in row.weeks if c.week.monday == monday)
    assert (cell.scheduled, cell.draft, cell.cap, cell.total) == (2, 1, 1, 3)
    assert cell.over and cell.percent == 100
    assert row.peak == 3
    assert sum(c.total for c in row.weeks) == 3
    only_scheduled = supervision.coach_load(db, programme, include_drafts=False).coaches[0]
    assert next(c for c in only_scheduled.weeks if c.week.monday == monday).total == 2
    assert chart.weeks[0].monday <= programme.horizon_start < chart.weeks[0].monday + dt.timedelta(days=7)
    assert chart.weeks[-1].monday <= programme.horizon_end


def test_calendar_groups_sessions_by_local_date_of_the_chosen_timezone(db: Session) -> None:
    programme = make_programme(db)
    coach_id = quick_coach(db, programme, "ada@coaches.example")
    request, _ = make_request(db, programme)
    start = _future(6, hour=23)  # 23:00 UTC is the next day in Brussels
    propose(db, request, coach_id, [start])
    draft_request, _ = make_request(db, programme, coachee_email="d@x.example")
    propose(db, draft_request, coach_id, [_future(8)], status=EngagementStatus.DRAFT.value)

    calendar = supervision.session_calendar(db, programme, timezone="Europe/Brussels", days=30)
    assert calendar.count == 1
    (day,) = calendar.days
    assert day.date == start.astimezone(ZoneInfo("Europe/Brussels")).date() == start.date() + dt.timedelta(days=1)
    assert day.entries[0].local_start.tzinfo == ZoneInfo("Europe/Brussels")
    in_utc = supervision.session_calendar(db, programme, timezone="UTC", days=30)
    assert in_utc.days[0].date == start.date()
    assert supervision.session_calendar(db, programme, days=30, include_drafts=True).count == 2
    assert supervision.session_calendar(db, programme, start=start.date() + dt.timedelta(days=2)).count == 0


def test_calendar_bad_input_names_the_field(db: Session) -> None:
    programme = make_programme(db)
    with pytest.raises(InvalidInput) as caught:
        supervision.session_calendar(db, programme, timezone="Mars/Olympus", days=0)
    assert set(caught.value.fields) == {"timezone", "days"}
    with pytest.raises(InvalidInput) as caught:
        supervision.session_calendar(db, programme, start=dt.date(9999, 12, 31))
    assert set(caught.value.fields) == {"start"}
