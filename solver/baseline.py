"""First-come-first-served baseline, and the incremental booking it shares with the hints.

The baseline takes requests in order of `submitted_at` and gives each the earliest
engagement with the first coach (best match first) that can still take it, as a
booking page would. The same routine, fed requests by tier-1 weight, warm-starts
CP-SAT.
"""

from __future__ import annotations

import bisect
import time
from collections import Counter
from collections.abc import Iterable, Mapping

import numpy as np

from solver.calendar import Calendar, to_minutes
from solver.domain import Assignment, Coach, CoachingRequest, Instance, Solution
from solver.engagements import Chain, ChainFinder, StaticRules, static_blocks, supervision_minutes_left, survey
from solver.scoring import MatchOrder, chain_to_assignment, match_rank

_SEARCH_NODES = 20_000  # DFS budget per request-coach pair


class RunningEngagements:
    """Engagements running over time for one coach or supervisor (rules 5' and 9').

    `listed_ends`: end minutes of the engagements already running (from now); `booked`:
    the [first start, last end) of each new engagement. Half-open: one ending at t and
    one starting at t do not overlap.
    """

    def __init__(self, cap: int, listed_ends: Iterable[int]) -> None:
        self.cap = cap
        self.listed_ends = sorted(listed_ends)
        self.booked: list[tuple[int, int]] = []

    def running_at(self, t: int) -> int:
        listed = len(self.listed_ends) - bisect.bisect_right(self.listed_ends, t)
        return listed + sum(1 for s, e in self.booked if s <= t < e)

    def fits(self, start: int, end: int) -> bool:
        """One more engagement over [start, end) keeps the count within the cap at every
        instant it runs (checking its start and every later start inside it suffices, as
        listed engagements only end)."""
        if len(self.booked) + len(self.listed_ends) < self.cap:
            return True  # fewer engagements in all than the cap: room at every instant
        points = [start] + [s for s, _ in self.booked if start < s < end]
        return all(self.running_at(t) + 1 <= self.cap for t in points)

    def full_until(self) -> tuple[int, int] | None:
        """(engagements at once, end minute) of the last stretch at or above the cap, if any."""
        events: list[tuple[int, int]] = [(e, -1) for e in self.listed_ends]
        for s, e in self.booked:
            events += [(s, 1), (e, -1)]
        events.sort()
        count = len(self.listed_ends)
        last: tuple[int, int] | None = None
        at_cap = count if count >= self.cap else 0
        for t, step in events:
            if at_cap and step < 0:
                last = (at_cap, t)
            count += step
            at_cap = count if count >= self.cap else 0
        return last if self.cap > 0 else None


class CoachBook:
    """What one coach has taken so far: sessions, per-day and per-week counts, hours."""

    def __init__(self, coach: Coach, instance: Instance) -> None:
        self.coach = coach
        self.booked: list[tuple[int, int]] = []
        self.day_count: Counter[int] = Counter()
        self.week_count: Counter[int] = Counter()
        self.engagements = coach.active_coachees
        self.running = RunningEngagements(coach.max_active_coachees, map(to_minutes, coach.active_engagements_end))
        self.minutes_left = max(0, supervision_minutes_left(instance, coach))
        self.supervision_until = to_minutes(coach.next_supervision) if coach.next_supervision else None

    def count_busy(self, calendar: Calendar) -> None:
        """Busy sessions count toward the day and week caps (rule 5) on their local start date."""
        clock = calendar.clock(self.coach.timezone)
        for b in self.coach.busy:
            if b.is_session:
                day = clock.local(to_minutes(b.start)) // 1440
                self.day_count[day] += 1
                self.week_count[day - (day + 3) % 7] += 1

    def counts_toward_supervision(self, start: int) -> bool:
        return self.supervision_until is None or start < self.supervision_until

    def is_free(self, start: int, end: int) -> bool:
        buf = self.coach.buffer_minutes
        i = bisect.bisect_left(self.booked, (end + buf,))
        return not any(b_end + buf > start for _, b_end in self.booked[:i])

    def fits(self, chain: Chain, minutes: int) -> bool:
        days: dict[int, int] = {}
        weeks: dict[int, int] = {}
        for s in chain:
            days[s.coach_day] = days.get(s.coach_day, 0) + 1
            weeks[s.coach_week] = weeks.get(s.coach_week, 0) + 1
        c = self.coach
        day_count, week_count = self.day_count, self.week_count
        for d, n in days.items():
            if day_count[d] + n > c.max_sessions_per_day:
                return False
        for w, n in weeks.items():
            if week_count[w] + n > c.max_sessions_per_week:
                return False
        until = self.supervision_until
        used = minutes * (len(chain) if until is None else sum(1 for s in chain if s.start < until))
        if used > self.minutes_left:
            return False
        return all(self.is_free(s.start, s.end) for s in chain)

    def take(self, chain: Chain, minutes: int) -> None:
        for s in chain:
            bisect.insort(self.booked, (s.start, s.end))
            self.day_count[s.coach_day] += 1
            self.week_count[s.coach_week] += 1
            if self.counts_toward_supervision(s.start):
                self.minutes_left -= minutes
        self.engagements += 1


class Booking:
    """Places engagements one at a time, keeping every hard rule."""

    def __init__(self, instance: Instance, calendar: Calendar) -> None:
        self.instance = instance
        self.calendar = calendar
        self.books: dict[str, CoachBook] = {}
        for coach in instance.coaches:
            book = CoachBook(coach, instance)
            book.count_busy(calendar)
            self.books[coach.id] = book
        self.supervisor_used: Counter[str] = Counter()
        self.over_time = instance.capacity_over_time
        self.supervisor_running = {
            sup.id: RunningEngagements(sup.max_trainee_engagements, map(to_minutes, sup.active_trainee_engagements_end))
            for sup in instance.supervisors
        }
        self.placed: dict[str, tuple[Coach, Chain]] = {}
        self.done = 0  # requests of the order `fill` has dealt with
        self.trainees: dict[str, list[Coach]] = {}
        for coach in instance.coaches:
            if coach.level == "trainee" and coach.supervisor:
                self.trainees.setdefault(coach.supervisor, []).append(coach)
        # Coaches that can take no engagement any more (`coach_can_engage` stays False once
        # False, as bookings only add): `place` passes them by without a look.
        self.closed: set[str] = {c.id for c in instance.coaches if not self.coach_can_engage(c)}

    def coach_can_engage(self, coach: Coach) -> bool:
        """False once the coach can take no new engagement at any time."""
        sup = self.instance.supervisor_by_id[coach.supervisor or ""] if coach.level == "trainee" else None
        if self.over_time:  # rules 5' and 9': room comes back as engagements end
            return coach.max_active_coachees > 0 and (sup is None or sup.max_trainee_engagements > 0)
        if self.books[coach.id].engagements >= coach.max_active_coachees:
            return False
        return (
            sup is None or sup.active_trainee_engagements + self.supervisor_used[sup.id] < sup.max_trainee_engagements
        )

    def fits_over_time(self, coach: Coach, chain: Chain) -> bool:
        """Rules 5' and 9' for one more engagement over the chain's running interval."""
        if not self.over_time:
            return True
        start, end = chain[0].start, chain[-1].end
        if not self.books[coach.id].running.fits(start, end):
            return False
        if coach.level == "trainee" and coach.supervisor:
            return self.supervisor_running[coach.supervisor].fits(start, end)
        return True

    def full_until(self, coach: Coach) -> tuple[str, int, int] | None:
        """Under rules 5' and 9': the last stretch the coach ("coach") or a trainee's
        supervisor ("supervisor") is at the cap, as (who, engagements at once, end minute)."""
        candidates = [("coach", self.books[coach.id].running.full_until())]
        if coach.level == "trainee" and coach.supervisor:
            candidates.append(("supervisor", self.supervisor_running[coach.supervisor].full_until()))
        found = [(who, at, end) for who, stretch in candidates if stretch is not None for at, end in [stretch]]
        return max(found, key=lambda f: f[2]) if found else None

    def find(self, request: CoachingRequest, coach: Coach, checked: bool = False) -> Chain | None:
        """The earliest chain of the pair that still fits the coach's book.

        `checked`: the pair is known to keep the static rules.
        """
        if not self.coach_can_engage(coach) or (not checked and static_blocks(self.instance, request, coach)):
            return None
        book = self.books[coach.id]
        times = self.calendar.pair_times(request, coach)
        if not len(times):
            return None
        usable = [
            book.day_count[d] < coach.max_sessions_per_day
            and book.week_count[w] < coach.max_sessions_per_week
            and book.is_free(start, end)
            for start, end, d, w in zip(
                times.start.tolist(),
                times.end.tolist(),
                times.coach_day.tolist(),
                times.coach_week.tolist(),
                strict=True,
            )
        ]
        finder = ChainFinder(request, coach, times.subset(np.array(usable, dtype=bool)))
        slots = finder.slots
        can = finder.completable()
        k = request.sessions
        budget = [_SEARCH_NODES]
        path: list[int] = []

        def dfs(i: int) -> Chain | bool:
            """The chain found from `path` + slot i; False when it already runs too long for
            rules 5'/9' (then so does every later successor, which ends later); True when
            nothing was found otherwise."""
            budget[0] -= 1
            if budget[0] < 0:
                return True
            path.append(i)
            chain = tuple(slots[p] for p in path)
            # A longer chain only runs longer: a part that breaks rules 5' or 9' cannot be completed.
            if not self.fits_over_time(coach, chain):
                path.pop()
                return False
            if book.fits(chain, request.session_minutes):
                if len(path) == k:
                    return chain
                left = k - len(path)
                for j in finder.successors[i]:
                    if can[left][j]:
                        found = dfs(j)
                        if found is False:
                            break
                        if found is not True:
                            return found
            path.pop()
            return True

        for i in finder.starts:
            if can[k][i] and isinstance(found := dfs(i), tuple):
                return found
            if budget[0] < 0:
                break
        return None

    def take(self, request: CoachingRequest, coach: Coach, chain: Chain) -> None:
        self.books[coach.id].take(chain, request.session_minutes)
        interval = (chain[0].start, chain[-1].end)
        self.books[coach.id].running.booked.append(interval)
        if coach.level == "trainee" and coach.supervisor:
            self.supervisor_used[coach.supervisor] += 1
            self.supervisor_running[coach.supervisor].booked.append(interval)
            self.closed.update(c.id for c in self.trainees[coach.supervisor] if not self.coach_can_engage(c))
        if not self.coach_can_engage(coach):
            self.closed.add(coach.id)
        self.placed[request.id] = (coach, chain)

    def place(self, request: CoachingRequest, coaches: Iterable[Coach], checked: bool = False) -> bool:
        closed = self.closed
        for coach in coaches:
            if coach.id in closed:
                continue
            chain = self.find(request, coach, checked)
            if chain is not None:
                self.take(request, coach, chain)
                return True
        return False

    def try_keep(self, request: CoachingRequest, coach: Coach, chain: Chain) -> bool:
        """Book a given chain (e.g. from the current plan) if every rule still allows it."""
        if static_blocks(self.instance, request, coach) or not self.coach_can_engage(coach):
            return False
        if not self.books[coach.id].fits(chain, request.session_minutes) or not self.fits_over_time(coach, chain):
            return False
        self.take(request, coach, chain)
        return True


def coaches_by_match(instance: Instance, request: CoachingRequest) -> list[Coach]:
    """Coaches in the order a person matching by hand would try them."""
    return sorted(instance.coaches, key=lambda c: (match_rank(request, c), c.id))


def fill(
    instance: Instance,
    calendar: Calendar,
    order: Iterable[CoachingRequest],
    keep: Mapping[str, tuple[Coach, Chain]] | None = None,
    candidates: Mapping[str, list[Coach]] | None = None,
    deadline: float | None = None,
) -> Booking:
    """Book `keep` first where it still holds, then each request of `order` in turn.

    `candidates` (request id -> all coaches with at least one chain, best match first) only
    spares trying coaches that could never fit; it does not change the result. Requests
    missing from it try every coach. Past `deadline` (a `time.perf_counter()` value) the
    remaining requests are left out.
    """
    booking = Booking(instance, calendar)
    for rid, (coach, chain) in (keep or {}).items():
        booking.try_keep(instance.request_by_id[rid], coach, chain)
    resume(booking, list(order), candidates, deadline)
    return booking


def resume(
    booking: Booking,
    order: list[CoachingRequest],
    candidates: Mapping[str, list[Coach]] | None = None,
    deadline: float | None = None,
) -> bool:
    """Go on with `fill`: place the requests of `order` from `booking.done` on; True once all are."""
    instance = booking.instance
    while booking.done < len(order):
        if deadline is not None and time.perf_counter() > deadline:
            return False  # out of time: the requests placed so far
        request = order[booking.done]
        booking.done += 1
        if request.id not in booking.placed:
            if candidates is not None and request.id in candidates:
                booking.place(request, candidates[request.id], checked=True)
            else:
                booking.place(request, coaches_by_match(instance, request))
    return True


def booking_assignments(instance: Instance, calendar: Calendar, booking: Booking) -> list[Assignment]:
    return [
        chain_to_assignment(instance, calendar, instance.request_by_id[rid], coach, chain)
        for rid, (coach, chain) in booking.placed.items()
    ]


def first_come_order(instance: Instance) -> list[CoachingRequest]:
    """The baseline's order: required requests first (tier 0), each part by `submitted_at`."""
    return sorted(instance.requests, key=lambda r: (not r.required, r.submitted_at, r.id))


def required_placed(instance: Instance, placed: Iterable[str]) -> int:
    """How many of the `placed` request ids are required (tier 0)."""
    return sum(1 for rid in placed if instance.request_by_id[rid].required)


def greedy(instance: Instance) -> Solution:
    """First come, first served: requests by `submitted_at` (required ones first), each to the
    first coach that fits."""
    from solver.explanations import RequestFacts, unassigned_reasons

    began = time.perf_counter()
    calendar = Calendar(instance)
    order = first_come_order(instance)
    # Every coach without a static block, best match first: the same coaches in the same
    # order as `coaches_by_match` less those `find` would turn down at once, so the same plan.
    rules = StaticRules(instance)
    ranking = MatchOrder(instance.coaches)
    candidates = {r.id: ranking.sort(r, rules.allowed(r)) for r in instance.requests}
    booking = fill(instance, calendar, order, None, candidates)
    assignments = booking_assignments(instance, calendar, booking)
    served = sum(instance.weight(instance.request_by_id[a.request]) for a in assignments)
    # The calendar facts behind the reasons, for all coaches of a request at once (`survey`
    # gives the same facts as `pair_fact` pair by pair).
    facts: dict[str, RequestFacts] = {}
    for r in instance.requests:
        if r.id in booking.placed:
            continue
        found = facts[r.id] = RequestFacts()
        allowed = rules.allowed(r)
        for coach, seen_pair in zip(allowed, survey(calendar, r, allowed, 1), strict=True):
            if seen_pair is None:
                found.add(coach.id, "no_time")
            elif not seen_pair.chains:
                found.add(coach.id, "no_chain")
            else:
                found.add(coach.id, (seen_pair.first_day, seen_pair.last_day))
    return Solution(
        status="FEASIBLE",
        served_weight=served,
        served_weight_bound=None,
        assignments=tuple(sorted(assignments, key=lambda a: a.request)),
        unassigned=tuple(unassigned_reasons(instance, calendar, assignments, facts)),
        stats={"wall_seconds": round(time.perf_counter() - began, 3), "solver": "greedy", "workers": 1},
        required_served=required_placed(instance, booking.placed) if instance.has_required else None,
    )
