"""Alternatives for one session: every offer passes the validator, and offers spread out.

The spread check finds, independently of the optimiser's calendar, the coachee-local days
on which the validator accepts the session at some half-hour UTC instant; when there are
three or more, the first three offers must fall on three different days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import solver
from solver import parse_instance
from solver.alternatives import UnknownSession, alternatives
from solver.domain import Assignment, Instance, Session, Solution
from solver.validate import validate
from tests.solver import builders

ZONES = ("Europe/Brussels", "Europe/London", "America/New_York", "Asia/Tokyo", "Asia/Kolkata")
# Windows straddling a DST change: Europe on 2027-03-28, the United States on 2027-03-14,
# Europe back on 2027-10-31.
HORIZONS = (
    ("2027-03-08", "2027-03-28", "2027-03-01T08:00:00Z"),
    ("2027-10-18", "2027-11-07", "2027-10-11T08:00:00Z"),
    ("2026-12-07", "2026-12-27", "2026-11-30T08:00:00Z"),
)
ALL_WEEK = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def _placed(instance: Instance, sessions: tuple[Session, ...], request: str = "r1", coach: str = "c1") -> bool:
    weight = instance.weight(instance.request_by_id[request])
    return not validate(instance, Solution("FEASIBLE", weight, None, (Assignment(request, coach, sessions),)))


def _days_with_a_valid_start(instance: Instance, engagement: Assignment, index: int, enough: int) -> set[date]:
    """Brute force: coachee-local days on which some half-hour UTC instant is accepted for session `index`.

    Stops at `enough` days. Every zone and grid drawn here keeps starts on the half hour.
    """
    zone = ZoneInfo(instance.timezone)
    coachee = ZoneInfo(instance.requests[0].timezone)
    moment = datetime.combine(instance.horizon_start, datetime.min.time(), zone).astimezone(UTC)
    stop = datetime.combine(instance.horizon_end + timedelta(days=1), datetime.min.time(), zone).astimezone(UTC)
    length = engagement.sessions[index].end - engagement.sessions[index].start
    found: set[date] = set()
    while moment < stop and len(found) < enough:
        day = moment.astimezone(coachee).date()
        sessions = list(engagement.sessions)
        sessions[index] = Session(moment, moment + length)
        if day not in found and moment != engagement.sessions[index].start and _placed(instance, tuple(sessions)):
            found.add(day)
        moment += timedelta(minutes=30)
    return found


@st.composite
def programmes(draw: st.DrawFn) -> dict[str, Any]:
    start, end, now = draw(st.sampled_from(HORIZONS))
    coach_zone, coachee_zone = draw(st.sampled_from(ZONES)), draw(st.sampled_from(ZONES))
    days = draw(st.lists(st.sampled_from(list(ALL_WEEK)), min_size=1, max_size=7, unique=True))
    begin = draw(st.integers(0, 20))
    hours = draw(st.integers(2, 6))
    interval = [f"{begin:02d}:00", f"{min(begin + hours, 24):02d}:00"]
    limit = 35.0
    # Supervision hours near the limit: some moves (to before the next supervision) break rule 10.
    since = limit - draw(st.sampled_from([0.5, 1.0, 1.5, 2.0, 10.0]))
    supervision_day = draw(st.integers(3, 18))
    next_supervision = (date.fromisoformat(start) + timedelta(days=supervision_day)).isoformat() + "T12:00:00Z"
    busy_day = draw(st.integers(0, 20))
    busy_start = datetime.fromisoformat(start + "T00:00:00+00:00") + timedelta(days=busy_day, hours=begin)
    coach = builders.coach(
        timezone=coach_zone,
        weekly={day: [interval] for day in days},
        max_sessions_per_day=draw(st.integers(1, 2)),
        max_sessions_per_week=draw(st.integers(1, 4)),
        buffer_minutes=draw(st.sampled_from([0, 15, 30])),
        busy=[{"start": busy_start.isoformat(), "end": (busy_start + timedelta(hours=1)).isoformat(), "session": True}],
        coaching_hours_since_supervision=since,
        next_supervision=next_supervision,
    )
    request = builders.request(
        timezone=coachee_zone,
        sessions=draw(st.integers(1, 3)),
        session_minutes=draw(st.sampled_from([30, 60, 90])),
        min_gap_days=draw(st.integers(1, 4)),
        max_gap_days=draw(st.integers(5, 14)),
        earliest_start=start,
        windows=ALL_WEEK,
        pinned_coach="c1",
    )
    return builders.instance(
        [coach],
        [request],
        now=now,
        horizon={"start": start, "end": end},
        slot_minutes=draw(st.sampled_from([30, 60])),
        min_notice_hours=48,
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programmes(), st.data())
def test_every_alternative_is_valid_in_place_of_the_session_and_they_spread(doc: dict[str, Any], data: Any) -> None:
    instance = parse_instance(doc)
    plan = solver.greedy(instance)
    if not plan.assignments:
        return
    engagement = plan.assignments[0]
    index = data.draw(st.integers(0, len(engagement.sessions) - 1))
    offers = alternatives(instance, engagement, index, limit=8)
    for offer in offers:
        sessions = list(engagement.sessions)
        sessions[index] = offer
        assert _placed(instance, tuple(sessions)), offer
    assert len({o.start for o in offers}) == len(offers)
    assert engagement.sessions[index].start not in {o.start for o in offers}

    coachee = ZoneInfo(instance.requests[0].timezone)
    possible_days = _days_with_a_valid_start(instance, engagement, index, 3)
    offered_days = {o.start.astimezone(coachee).date() for o in offers[:3]}
    assert len(offered_days) == min(3, len(possible_days), len(offers[:3]))
    if possible_days:
        assert offers, "the validator accepts times the alternatives did not offer"


def _weekly_doc(**request_fields: Any) -> Instance:
    """A coach free every evening 18:00-21:00 for four weeks; one coachee with wide windows."""
    coach = builders.coach(weekly={d: [["18:00", "21:00"]] for d in ALL_WEEK}, max_sessions_per_day=3)
    request = builders.request(windows=ALL_WEEK, pinned_coach="c1", **request_fields)
    return parse_instance(
        builders.instance([coach], [request], horizon={"start": "2026-12-07", "end": "2027-01-03"}, slot_minutes=30)
    )


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_offers_lead_with_one_time_per_week_then_one_per_day_nearest_first() -> None:
    instance = _weekly_doc()
    present = Session(_at("2026-12-16T18:00:00+01:00"), _at("2026-12-16T19:00:00+01:00"))
    offers = alternatives(instance, Assignment("r1", "c1", (present,)), 0, limit=6)
    local = [o.start.astimezone(ZoneInfo("Europe/Brussels")) for o in offers]
    # The nearest time in the session's own week, then the nearest week on either side, ...
    assert local[0].isoformat() == "2026-12-16T18:30:00+01:00"
    assert [t.isocalendar()[1] for t in local[:4]] == [51, 50, 52, 53]
    # ... then the nearest other days, so six offers fall on six different days.
    assert len({t.date() for t in local}) == 6
    longer = alternatives(instance, Assignment("r1", "c1", (present,)), 0, limit=12)
    assert longer[:6] == offers


def test_gap_rules_keep_offers_between_the_neighbouring_sessions() -> None:
    instance = _weekly_doc(sessions=3, min_gap_days=7, max_gap_days=9)
    sessions = tuple(
        Session(_at(f"2026-12-{day}T18:00:00+01:00"), _at(f"2026-12-{day}T19:00:00+01:00"))
        for day in ("08", "16", "24")
    )
    engagement = Assignment("r1", "c1", sessions)
    assert _placed(instance, sessions)
    offers = alternatives(instance, engagement, 1, limit=50)
    days = {o.start.astimezone(ZoneInfo("Europe/Brussels")).date() for o in offers}
    assert days == {date(2026, 12, 15), date(2026, 12, 16), date(2026, 12, 17)}


def test_supervision_hours_at_the_limit_leave_only_times_after_the_next_supervision() -> None:
    coach = builders.coach(
        weekly={d: [["18:00", "21:00"]] for d in ALL_WEEK},
        coaching_hours_since_supervision=35,
        next_supervision="2026-12-20T12:00:00Z",
    )
    request = builders.request(windows=ALL_WEEK, pinned_coach="c1")
    instance = parse_instance(
        builders.instance([coach], [request], horizon={"start": "2026-12-07", "end": "2027-01-03"})
    )
    present = Session(_at("2026-12-22T18:00:00+01:00"), _at("2026-12-22T19:00:00+01:00"))
    offers = alternatives(instance, Assignment("r1", "c1", (present,)), 0, limit=40)
    assert offers
    assert all(o.start >= _at("2026-12-20T12:00:00Z") for o in offers)
    allowed = parse_instance(
        builders.instance(
            [{**coach, "coaching_hours_since_supervision": 30}],
            [request],
            horizon={"start": "2026-12-07", "end": "2027-01-03"},
        )
    )
    earlier = alternatives(allowed, Assignment("r1", "c1", (present,)), 0, limit=40)
    assert any(o.start < _at("2026-12-20T12:00:00Z") for o in earlier)


def test_an_unknown_session_is_refused() -> None:
    instance = _weekly_doc()
    present = Session(_at("2026-12-16T18:00:00+01:00"), _at("2026-12-16T19:00:00+01:00"))
    with pytest.raises(UnknownSession):
        alternatives(instance, Assignment("r1", "c1", (present,)), 1)
    with pytest.raises(UnknownSession):
        alternatives(instance, Assignment("r9", "c1", (present,)), 0)
