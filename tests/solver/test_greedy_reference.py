"""The first-come-first-served baseline is pinned to a plain reading of its definition.

`solver.greedy` (and `fill`, which both greedy plans of `solve` use) is built for speed:
slot arrays, masks over all coaches, candidate filters, an index-based search. Here a
reference written straight from the contract, with nothing of that, books random small
programmes and must give the same plan: requests by `submitted_at` (required first),
each to the first coach by match (`match_rank`, then id) without a static block that
still has an engagement free, with that pair's earliest chain (first session earliest,
then each next one earliest) that keeps every hard rule given what is booked so far.

The reference's session times come from the zone database minute by minute (every
quarter hour of UTC), not from `solver.calendar`; its chains from a plain recursion.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import solver
from solver import parse_instance
from solver.baseline import CoachOrder, fill, first_come_order
from solver.calendar import Calendar
from solver.domain import Coach, CoachingRequest, Instance
from solver.engagements import static_blocks
from solver.scoring import match_rank
from tests.solver import builders as b

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Slot = tuple[int, int, int, int, int]  # UTC start, end (epoch minutes), coach date, coach ISO week, coachee date


def _minute(moment: datetime) -> int:
    return int((moment - EPOCH).total_seconds() // 60)


def _day(moment: datetime) -> int:
    return (moment.date() - date(1970, 1, 1)).days


def _hhmm(text: str) -> int:
    return int(text[:2]) * 60 + int(text[3:])


def reference_slots(instance: Instance, request: CoachingRequest, coach: Coach) -> list[Slot]:
    """Every session the calendar rules (2, and 3 against busy time) allow the pair, in time order."""
    coach_zone, coachee_zone = ZoneInfo(coach.timezone), ZoneInfo(request.timezone)
    programme = ZoneInfo(instance.timezone)
    start_of = datetime.combine(instance.horizon_start, datetime.min.time(), programme)
    end_of = datetime.combine(instance.horizon_end + timedelta(days=1), datetime.min.time(), programme)
    notice = instance.now + timedelta(hours=instance.min_notice_hours)
    length = timedelta(minutes=request.session_minutes)
    overrides = {o.date: o.intervals for o in coach.overrides}
    out: list[Slot] = []
    t = start_of.astimezone(UTC)
    while t + length <= end_of:
        end = t + length
        local, local_end = t.astimezone(coach_zone), (end - timedelta(minutes=1)).astimezone(coach_zone)
        theirs, theirs_end = t.astimezone(coachee_zone), (end - timedelta(minutes=1)).astimezone(coachee_zone)
        at = local.hour * 60 + local.minute
        their_at = theirs.hour * 60 + theirs.minute
        ok = (
            t >= notice
            and at % instance.slot_minutes == 0
            and local.utcoffset() == local_end.utcoffset()
            and theirs.utcoffset() == theirs_end.utcoffset()
        )
        if ok:
            day = local.date()
            intervals = overrides.get(day, coach.weekly.get(WEEKDAYS[day.weekday()], ()))
            ok = any(lo <= at and at + request.session_minutes <= hi for lo, hi in intervals)
        if ok:
            windows = request.windows.get(WEEKDAYS[theirs.date().weekday()], ())
            ok = any(lo <= their_at and their_at + request.session_minutes <= hi for lo, hi in windows)
        if ok:
            buffer = timedelta(minutes=coach.buffer_minutes)
            ok = all(not (busy.start < end + buffer and busy.end + buffer > t) for busy in coach.busy)
        if ok:
            coach_day = _day(local)
            week = coach_day - local.date().weekday()
            out.append((_minute(t), _minute(end), coach_day, week, _day(theirs)))
        t += timedelta(minutes=15)
    return out


class ReferenceBook:
    """What each coach and supervisor has taken, counted the plain way."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.sessions: dict[str, list[tuple[int, int, int, int]]] = {c.id: [] for c in instance.coaches}
        self.engagements = {c.id: c.active_coachees for c in instance.coaches}
        self.trainee_engagements = {s.id: s.active_trainee_engagements for s in instance.supervisors}
        self.busy_days: dict[str, list[int]] = {}
        for c in instance.coaches:
            zone = ZoneInfo(c.timezone)
            self.busy_days[c.id] = [_day(x.start.astimezone(zone)) for x in c.busy if x.is_session]

    def may_engage(self, coach: Coach) -> bool:
        if self.engagements[coach.id] >= coach.max_active_coachees:
            return False
        if coach.level == "trainee":
            sup = self.instance.supervisor_by_id[coach.supervisor or ""]
            return self.trainee_engagements[sup.id] < sup.max_trainee_engagements
        return True

    def keeps_rules(self, request: CoachingRequest, coach: Coach, chain: list[Slot]) -> bool:
        """Rules 3, 5 and 10 for the coach's booked sessions plus `chain` (rule 4 is the caller's)."""
        mine = self.sessions[coach.id] + [(s[0], s[1], s[2], s[3]) for s in chain]
        days = self.busy_days[coach.id] + [s[2] for s in mine]
        weeks = [d - (d + 3) % 7 for d in self.busy_days[coach.id]] + [s[3] for s in mine]
        # The caps hold on every date and week with a new session (busy ones count there).
        if any(days.count(s[2]) > coach.max_sessions_per_day for s in mine):
            return False
        if any(weeks.count(s[3]) > coach.max_sessions_per_week for s in mine):
            return False
        buffer = coach.buffer_minutes
        booked = self.sessions[coach.id]
        for s in chain:
            if any(s[0] < e + buffer and b_start < s[1] + buffer for b_start, e, _, _ in booked):
                return False
        until = _minute(coach.next_supervision) if coach.next_supervision else None
        counted = [s for s in mine if until is None or s[0] < until]
        minutes = sum(s[1] - s[0] for s in counted)
        limit = self.instance.max_hours_between[coach.level]
        return minutes == 0 or coach.coaching_hours_since_supervision + minutes / 60 <= limit

    def first_chain(self, request: CoachingRequest, coach: Coach) -> list[Slot] | None:
        slots = reference_slots(self.instance, request, coach)
        first_day = (request.earliest_start - date(1970, 1, 1)).days

        def extend(path: list[Slot]) -> list[Slot] | None:
            if len(path) == request.sessions:
                return path
            for s in slots:
                if path:
                    last = path[-1]
                    gap = s[4] - last[4]
                    if s[0] < last[1] + coach.buffer_minutes or not request.min_gap_days <= gap <= request.max_gap_days:
                        continue
                elif s[4] < first_day:
                    continue
                if self.keeps_rules(request, coach, [*path, s]):
                    found = extend([*path, s])
                    if found is not None:
                        return found
            return None

        return extend([])

    def take(self, coach: Coach, chain: list[Slot]) -> None:
        self.sessions[coach.id].extend((s[0], s[1], s[2], s[3]) for s in chain)
        self.engagements[coach.id] += 1
        if coach.level == "trainee":
            self.trainee_engagements[coach.supervisor or ""] += 1


def reference_greedy(instance: Instance) -> dict[str, tuple[str, list[int]]]:
    book = ReferenceBook(instance)
    plan: dict[str, tuple[str, list[int]]] = {}
    for request in sorted(instance.requests, key=lambda r: (not r.required, r.submitted_at, r.id)):
        for coach in sorted(instance.coaches, key=lambda c: (match_rank(request, c), c.id)):
            if static_blocks(instance, request, coach) or not book.may_engage(coach):
                continue
            chain = book.first_chain(request, coach)
            if chain is not None:
                book.take(coach, chain)
                plan[request.id] = (coach.id, [s[0] for s in chain])
                break
    return plan


def random_programme(seed: int) -> dict[str, Any]:
    """Two to three weeks across the end of European (31 Oct) or American (7 Nov) summer time,
    with busy time, overrides, planned supervisions, tight caps and a half-hour timezone."""
    rng = random.Random(seed)
    zones = ["Europe/Brussels", "Europe/London", "America/New_York", "Asia/Kolkata"]
    start = rng.choice([date(2027, 10, 25), date(2027, 11, 1)])
    end = start + timedelta(days=rng.choice([13, 20]))
    coaches = []
    for i in range(rng.randint(2, 5)):
        level = rng.choice(["trainee", "accredited", "senior"])
        busy = []
        for _ in range(rng.randint(0, 3)):
            at = datetime.combine(start, datetime.min.time(), UTC) + timedelta(minutes=30 * rng.randint(0, 48 * 14))
            busy.append(
                {
                    "start": at.isoformat().replace("+00:00", "Z"),
                    "end": (at + timedelta(minutes=rng.choice([30, 60, 90]))).isoformat().replace("+00:00", "Z"),
                    "session": rng.random() < 0.6,
                }
            )
        overrides = [
            {
                "date": (start + timedelta(days=offset)).isoformat(),
                "intervals": rng.choice([[], [["07:00", "09:30"]], [["18:00", "22:00"]]]),
            }
            for offset in rng.sample(range(14), rng.randint(0, 2))
        ]
        supervision = None
        if rng.random() < 0.5:
            supervision = datetime.combine(start, datetime.min.time(), UTC) + timedelta(days=rng.randint(0, 14))
        coaches.append(
            b.coach(
                f"c{i}",
                timezone=rng.choice(zones),
                languages=rng.sample(["en", "nl", "fr"], rng.randint(1, 2)),
                topics=rng.sample(["a", "b", "c"], rng.randint(0, 2)),
                level=level,
                supervisor="s1" if level == "trainee" else None,
                organisation=rng.choice([None, "A"]),
                max_active_coachees=rng.randint(1, 3),
                active_coachees=rng.randint(0, 1),
                max_sessions_per_week=rng.randint(1, 4),
                max_sessions_per_day=rng.randint(1, 2),
                buffer_minutes=rng.choice([0, 15, 30]),
                weekly={
                    d: rng.choice(
                        [[["07:00", "10:00"]], [["17:00", "22:00"]], [["08:00", "12:00"], ["18:00", "21:00"]]]
                    )
                    for d in rng.sample(WEEKDAYS, rng.randint(2, 5))
                },
                overrides=overrides,
                busy=busy,
                coaching_hours_since_supervision=rng.choice([0, 10, 13.5, 30]),
                next_supervision=None if supervision is None else supervision.isoformat().replace("+00:00", "Z"),
            )
        )
    requests = []
    for j in range(rng.randint(2, 7)):
        low = rng.choice([0, 1, 3, 7])
        requests.append(
            b.request(
                f"r{j}",
                timezone=rng.choice(zones),
                languages=rng.sample(["en", "nl", "fr"], rng.randint(1, 2)),
                topics=rng.sample(["a", "b", "c"], rng.randint(0, 2)),
                organisation=rng.choice([None, "A", "B"]),
                sessions=rng.randint(1, 3),
                session_minutes=rng.choice([30, 60, 90]),
                min_gap_days=low,
                max_gap_days=low + rng.choice([0, 2, 7]),
                earliest_start=(start + timedelta(days=rng.randint(0, 4))).isoformat(),
                windows={
                    d: rng.choice([[["06:00", "23:00"]], [["08:00", "11:00"]], [["17:00", "21:30"]]])
                    for d in rng.sample(WEEKDAYS, rng.randint(2, 6))
                },
                priority=rng.randint(1, 3),
                submitted_at=f"2027-10-{rng.randint(1, 9):02d}T{rng.randint(0, 23):02d}:00:00Z",
                sensitive=rng.random() < 0.2,
                preferred_coaches=rng.sample([f"c{i}" for i in range(len(coaches))], rng.randint(0, 1)),
                required=rng.random() < 0.2,
            )
        )
    return b.instance(
        coaches=coaches,
        requests=requests,
        supervisors=[{"id": "s1", "max_trainee_engagements": rng.randint(0, 2), "active_trainee_engagements": 0}],
        now="2027-10-20T08:00:00Z",
        horizon={"start": start.isoformat(), "end": end.isoformat()},
        slot_minutes=rng.choice([15, 30]),
        min_notice_hours=rng.choice([0, 48]),
    )


def _plan_of(booking_placed: dict[str, Any]) -> dict[str, tuple[str, list[int]]]:
    return {rid: (coach.id, [s.start for s in chain]) for rid, (coach, chain) in booking_placed.items()}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=10**6))
def test_greedy_is_the_plain_first_come_first_served_plan(seed: int) -> None:
    instance = parse_instance(random_programme(seed))
    expected = reference_greedy(instance)
    solution = solver.greedy(instance)
    got = {a.request: (a.coach, [_minute(s.start) for s in a.sessions]) for a in solution.assignments}
    assert got == expected
    # The booking `solve` starts from, with the candidate filter, gives the same plan.
    calendar = Calendar(instance)
    booking = fill(instance, calendar, first_come_order(instance), None, CoachOrder(instance, calendar))
    assert _plan_of(booking.placed) == expected


def test_the_programmes_book_something() -> None:
    """The random programmes are not all empty plans (the comparison would then say little)."""
    placed = sum(len(reference_greedy(parse_instance(random_programme(seed)))) for seed in range(30))
    assert placed >= 20
