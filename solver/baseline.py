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
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from solver.calendar import Calendar, PairTimes, Slot, day_number, to_minutes
from solver.domain import Assignment, Coach, CoachingRequest, Instance, Solution
from solver.engagements import Chain, ChainFinder, StaticRules, static_blocks, supervision_minutes_left, survey_arrays
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
        self._booked_arrays: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None = None

    def counts_all(self, calendar: Calendar) -> bool:
        """True when every session the calendar allows counts toward supervision (rule 10)."""
        return self.supervision_until is None or self.supervision_until >= calendar.horizon_hi

    def usable(self, times: PairTimes) -> npt.NDArray[np.bool_] | None:
        """Which slots keep the day and week caps and are free of what is booked, as a mask
        (`is_free` and the counts, slot by slot); None when every slot is."""
        c = self.coach
        if c.max_sessions_per_day <= 0 or c.max_sessions_per_week <= 0:
            return np.zeros(len(times), dtype=bool)
        full_days = [d for d, n in self.day_count.items() if n >= c.max_sessions_per_day]
        full_weeks = [w for w, n in self.week_count.items() if n >= c.max_sessions_per_week]
        if not full_days and not full_weeks and not self.booked:
            return None
        ok = np.ones(len(times), dtype=bool)
        if full_days:
            ok &= ~np.isin(times.coach_day, full_days)
        if full_weeks:
            ok &= ~np.isin(times.coach_week, full_weeks)
        if self.booked:
            if self._booked_arrays is None:
                starts = np.array([b[0] for b in self.booked], dtype=np.int64)
                latest_end = np.maximum.accumulate(np.array([b[1] for b in self.booked], dtype=np.int64))
                self._booked_arrays = (starts, latest_end)
            starts, latest_end = self._booked_arrays
            buf = c.buffer_minutes
            # As `is_free`: the sessions starting before end + buffer are a prefix (booked is
            # sorted); the latest end among them decides.
            i = np.searchsorted(starts, times.end + buf, "left")
            ok &= ~((i > 0) & (latest_end[np.maximum(i - 1, 0)] + buf > times.start))
        return ok

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
        self._booked_arrays = None
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
        self.first_days: dict[str, int] = {}  # earliest_start as a day number, by request
        self.done = 0  # requests of the order `fill` has dealt with
        self.trainees: dict[str, list[Coach]] = {}
        for coach in instance.coaches:
            if coach.level == "trainee" and coach.supervisor:
                self.trainees.setdefault(coach.supervisor, []).append(coach)
        # Coaches that can take no engagement any more (`coach_can_engage` stays False once
        # False, as bookings only add): `place` passes them by without a look.
        self.closed: set[str] = {c.id for c in instance.coaches if not self.coach_can_engage(c)}
        # The same by coach position, and what rule 10 leaves each coach whose every session
        # counts toward supervision: `CoachOrder` drops the coaches `find` would turn down at once.
        self.position = {c.id: i for i, c in enumerate(instance.coaches)}
        self.open_mask = np.array([c.id not in self.closed for c in instance.coaches], dtype=bool)
        self.counts_all = np.array([self.books[c.id].counts_all(calendar) for c in instance.coaches], dtype=bool)
        self.minutes_left = np.array([self.books[c.id].minutes_left for c in instance.coaches], dtype=np.int64)

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
        return not self.over_time or self.fits_over_time_span(coach, chain[0].start, chain[-1].end)

    def fits_over_time_span(self, coach: Coach, start: int, end: int) -> bool:
        """Rules 5' and 9' for one more engagement running over [start, end)."""
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

        A depth-first search over the pair's usable slots (first slot earliest, then each
        next one earliest), with a budget of `_SEARCH_NODES` nodes; a partial chain is
        extended only while it keeps the caps and the supervision hours.
        """
        if not self.coach_can_engage(coach) or (not checked and static_blocks(self.instance, request, coach)):
            return None
        book = self.books[coach.id]
        k = request.sessions
        minutes = request.session_minutes
        if book.counts_all(self.calendar) and book.minutes_left < k * minutes:
            return None  # rule 10: no whole chain fits the supervision hours left
        if not self.calendar.may_meet(request, coach):
            return None  # no common slot
        times = self.calendar.pair_times(request, coach)
        if not len(times):
            return None
        if k > 1:
            # Sessions k - 1 gaps of at least min_gap_days apart, from earliest_start on, between
            # the pair's first and last dates: else no chain (most pairs with no chain fail this).
            days = times.coachee_day
            first_day = max(int(days.min()), self.first_days.setdefault(request.id, day_number(request.earliest_start)))
            if int(days.max()) - first_day < (k - 1) * request.min_gap_days:
                return None
        usable = book.usable(times)
        if usable is not None:
            times = times.subset(usable)
            if not len(times):
                return None
        finder = ChainFinder(request, coach, times)
        if not finder.starts or not finder.has_chain():
            return None
        start, end = times.start.tolist(), times.end.tolist()
        day, week = times.coach_day.tolist(), times.coach_week.tolist()
        can = finder.completable()
        successors: list[Sequence[int]] | None = None
        if finder.monotone:
            lo, hi = finder.lo.tolist(), finder.hi.tolist()
        else:
            lo = hi = []
            successors = finder.successors
        c = coach
        day_count, week_count = book.day_count, book.week_count
        until, minutes_left = book.supervision_until, book.minutes_left
        over_time = self.over_time
        path: list[int] = []
        path_days: dict[int, int] = {}
        path_weeks: dict[int, int] = {}
        budget = _SEARCH_NODES
        used = 0

        def dfs(i: int) -> Chain | bool:
            """The chain found from `path` + slot i; False when it already runs too long for
            rules 5'/9' (then so does every later successor, which ends later); True when
            nothing was found otherwise. The caps are checked for slot i alone: `path` keeps
            them, and every usable slot is free of the coach's bookings."""
            nonlocal budget, used
            budget -= 1
            if budget < 0:
                return True
            # A longer chain only runs longer: a part that breaks rules 5' or 9' cannot be completed.
            if over_time and not self.fits_over_time_span(c, start[path[0] if path else i], end[i]):
                return False
            d, w = day[i], week[i]
            on_day, in_week = path_days.get(d, 0) + 1, path_weeks.get(w, 0) + 1
            cost = minutes if until is None or start[i] < until else 0
            if (
                day_count[d] + on_day <= c.max_sessions_per_day
                and week_count[w] + in_week <= c.max_sessions_per_week
                and used + cost <= minutes_left
            ):
                path.append(i)
                if len(path) == k:
                    return tuple(Slot(start[p], end[p], day[p], week[p], coachee_day[p]) for p in path)
                path_days[d], path_weeks[w] = on_day, in_week
                used += cost
                row = can[k - len(path)]
                for j in range(lo[i], hi[i]) if successors is None else successors[i]:
                    if row[j]:
                        found = dfs(j)
                        if found is False:
                            break
                        if found is not True:
                            return found
                path_days[d], path_weeks[w] = on_day - 1, in_week - 1
                used -= cost
                path.pop()
            return True

        coachee_day = times.coachee_day.tolist()
        first = can[k]
        for i in finder.starts:
            if first[i] and isinstance(found := dfs(i), tuple):
                return found
            if budget < 0:
                break
        return None

    def take(self, request: CoachingRequest, coach: Coach, chain: Chain) -> None:
        self.books[coach.id].take(chain, request.session_minutes)
        interval = (chain[0].start, chain[-1].end)
        self.books[coach.id].running.booked.append(interval)
        if coach.level == "trainee" and coach.supervisor:
            self.supervisor_used[coach.supervisor] += 1
            self.supervisor_running[coach.supervisor].booked.append(interval)
            for c in self.trainees[coach.supervisor]:
                if not self.coach_can_engage(c):
                    self.close(c)
        if not self.coach_can_engage(coach):
            self.close(coach)
        self.minutes_left[self.position[coach.id]] = self.books[coach.id].minutes_left
        self.placed[request.id] = (coach, chain)

    def close(self, coach: Coach) -> None:
        self.closed.add(coach.id)
        self.open_mask[self.position[coach.id]] = False

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


class CoachOrder:
    """The coaches `Booking.place` tries for a request, best match first, less those `find`
    would turn down at once: a static block (`StaticRules`), closed for good, weekly hours
    that never meet the coachee's (`Calendar.may_meet`), or too few supervision hours left
    for the whole engagement. Dropping coaches that cannot fit changes no plan; it spares
    building the full list of every coach without a static block for every request."""

    def __init__(self, instance: Instance, calendar: Calendar, rules: StaticRules | None = None) -> None:
        self.instance = instance
        self.calendar = calendar
        self.rules = rules or StaticRules(instance)
        self.ranking = MatchOrder(instance.coaches)
        self._allowed: dict[str, npt.NDArray[np.bool_]] = {}

    def allowed_mask(self, request: CoachingRequest) -> npt.NDArray[np.bool_]:
        """Coaches with no static block for `request` (cached: both greedy plans ask)."""
        mask = self._allowed.get(request.id)
        if mask is None:
            mask = self._allowed[request.id] = self.rules.allowed_mask(request)
        return mask

    def for_booking(self, request: CoachingRequest, booking: Booking) -> list[Coach]:
        need = request.sessions * request.session_minutes
        mask = self.allowed_mask(request) & booking.open_mask
        mask &= ~booking.counts_all | (booking.minutes_left >= need)
        idx = np.flatnonzero(mask)
        idx = self.ranking.sort_positions(request, idx[self.calendar.meet_mask(request, idx)])
        coaches = self.instance.coaches
        return [coaches[i] for i in idx.tolist()]


def coaches_by_match(instance: Instance, request: CoachingRequest) -> list[Coach]:
    """Coaches in the order a person matching by hand would try them."""
    return sorted(instance.coaches, key=lambda c: (match_rank(request, c), c.id))


def fill(
    instance: Instance,
    calendar: Calendar,
    order: Iterable[CoachingRequest],
    keep: Mapping[str, tuple[Coach, Chain]] | None = None,
    candidates: Mapping[str, list[Coach]] | CoachOrder | None = None,
    deadline: float | None = None,
) -> Booking:
    """Book `keep` first where it still holds, then each request of `order` in turn.

    `candidates` (request id -> all coaches with at least one chain, best match first, or a
    `CoachOrder`) only spares trying coaches that could never fit; it does not change the
    result. Requests missing from a mapping try every coach. Past `deadline` (a `time.perf_counter()` value) the
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
    candidates: Mapping[str, list[Coach]] | CoachOrder | None = None,
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
            if isinstance(candidates, CoachOrder):
                booking.place(request, candidates.for_booking(request, booking), checked=True)
            elif candidates is not None and request.id in candidates:
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
    coach_order = CoachOrder(instance, calendar)
    booking = fill(instance, calendar, order, None, coach_order)
    assignments = booking_assignments(instance, calendar, booking)
    served = sum(instance.weight(instance.request_by_id[a.request]) for a in assignments)
    # The calendar facts behind the reasons, for all coaches of a request at once (`survey`
    # gives the same facts as `pair_fact` pair by pair).
    facts: dict[str, RequestFacts] = {}
    coach_ids = np.array([c.id for c in instance.coaches], dtype=object)
    for r in instance.requests:
        if r.id in booking.placed:
            continue
        positions = np.flatnonzero(coach_order.allowed_mask(r))
        seen = survey_arrays(calendar, r, positions, 1)
        has_chain = seen.chains > 0
        found = facts[r.id] = RequestFacts(
            no_time=coach_ids[positions[seen.slots == 0]].tolist(),
            no_chain=coach_ids[positions[(seen.slots > 0) & ~has_chain]].tolist(),
            eligible=coach_ids[positions[has_chain]].tolist(),
        )
        if found.eligible:
            found.first_day = int(seen.first_day[has_chain].min())
            found.last_day = int(seen.last_day[has_chain].max())
    return Solution(
        status="FEASIBLE",
        served_weight=served,
        served_weight_bound=None,
        assignments=tuple(sorted(assignments, key=lambda a: a.request)),
        unassigned=tuple(unassigned_reasons(instance, calendar, assignments, facts)),
        stats={"wall_seconds": round(time.perf_counter() - began, 3), "solver": "greedy", "workers": 1},
        required_served=required_placed(instance, booking.placed) if instance.has_required else None,
    )
