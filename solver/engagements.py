"""Which coach may take which request, and the session chains they could meet in.

A *chain* is a whole engagement: `sessions` slots in time order whose coachee-local
dates keep the gap rules (rule 4), the first on or after `earliest_start`, each
clear of the previous by the coach's buffer. Deciding on a whole chain at once
makes the gap rules vanish from the optimisation model.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from solver.calendar import Calendar, PairTimes, Slot, day_number
from solver.domain import Coach, CoachingRequest, Instance

Chain = tuple[Slot, ...]


@dataclass(frozen=True)
class Block:
    """A static rule that keeps a coach from a request: `rule` is its reason code
    (`solver.explanations` words it), `message` a short phrase for this one coach."""

    rule: str
    message: str


def static_blocks(instance: Instance, request: CoachingRequest, coach: Coach) -> list[Block]:
    """The rules on who may coach whom, and the caps already used up, that rule out the
    pair whatever the calendar says."""
    blocks: list[Block] = []
    if not set(request.languages) & set(coach.languages):
        blocks.append(Block("language", f"speaks none of {', '.join(request.languages)}"))
    if request.organisation and coach.organisation and request.organisation == coach.organisation:
        blocks.append(Block("organisation", f"works for the coachee's organisation {request.organisation}"))
    if coach.id in request.excluded_coaches:
        blocks.append(Block("excluded_coach", "the coachee asked for another coach"))
    if request.id in coach.excluded_requests:
        blocks.append(Block("excluded_request", "asked not to take this coachee"))
    if request.pinned_coach is not None and request.pinned_coach != coach.id:
        blocks.append(Block("pinned", f"the request is pinned to {request.pinned_coach}"))
    if request.sensitive and coach.level == "trainee":
        blocks.append(Block("sensitive", "in training, and the request is sensitive"))
    if coach.active_coachees >= coach.max_active_coachees:
        blocks.append(Block("coach_full", "takes no more coachees"))
    if coach.level == "trainee":
        sup = instance.supervisor_by_id.get(coach.supervisor or "")
        if sup is None or sup.active_trainee_engagements >= sup.max_trainee_engagements:
            blocks.append(Block("supervisor_full", "the supervisor takes no more trainee engagements"))
    return blocks


class StaticRules:
    """`static_blocks` for one request against every coach at once, as array masks."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        coaches = instance.coaches
        languages = sorted({lang for c in coaches for lang in c.languages})
        self.language_bit = {lang: 1 << i for i, lang in enumerate(languages)}
        self.wide = len(languages) > 62  # beyond int64 bits: fall back to rule by rule
        self.coach_languages = np.array(
            [0 if self.wide else sum(self.language_bit[lang] for lang in set(c.languages)) for c in coaches],
            dtype=np.int64,
        )
        organisations = {o: i + 1 for i, o in enumerate(sorted({c.organisation for c in coaches if c.organisation}))}
        self.organisation_id = organisations
        self.coach_organisation = np.array(
            [organisations.get(c.organisation or "", 0) for c in coaches], dtype=np.int64
        )
        self.is_trainee = np.array([c.level == "trainee" for c in coaches], dtype=bool)
        open_ = []
        for c in coaches:
            ok = c.active_coachees < c.max_active_coachees
            if c.level == "trainee":
                sup = instance.supervisor_by_id.get(c.supervisor or "")
                ok = ok and sup is not None and sup.active_trainee_engagements < sup.max_trainee_engagements
            open_.append(ok)
        self.is_open = np.array(open_, dtype=bool)
        self.is_full = np.array([c.active_coachees >= c.max_active_coachees for c in coaches], dtype=bool)
        # Trainees whose supervisor has no room (rule 9), by the supervisor named in the message.
        closed: dict[str, list[int]] = {}
        for i, c in enumerate(coaches):
            if c.level == "trainee":
                sup = instance.supervisor_by_id.get(c.supervisor or "")
                if sup is None or sup.active_trainee_engagements >= sup.max_trainee_engagements:
                    closed.setdefault(str(c.supervisor), []).append(i)
        self.supervisor_closed = closed
        self.position = {c.id: i for i, c in enumerate(coaches)}
        self.excluded_by_coach: dict[str, list[int]] = {}
        for i, c in enumerate(coaches):
            for rid in c.excluded_requests:
                self.excluded_by_coach.setdefault(rid, []).append(i)

    def allowed(self, request: CoachingRequest) -> list[Coach]:
        """Coaches with no static block for `request`, in instance order."""
        coaches = self.instance.coaches
        return [coaches[i] for i in np.flatnonzero(self.allowed_mask(request)).tolist()]

    def allowed_mask(self, request: CoachingRequest) -> npt.NDArray[np.bool_]:
        """`allowed` as a mask over the instance's coaches."""
        coaches = self.instance.coaches
        if self.wide:
            return np.array([not static_blocks(self.instance, request, c) for c in coaches], dtype=bool)
        wanted = sum(self.language_bit.get(lang, 0) for lang in set(request.languages))
        ok: npt.NDArray[np.bool_] = (self.coach_languages & wanted) != 0
        ok &= self.is_open
        if request.organisation and request.organisation in self.organisation_id:
            ok &= self.coach_organisation != self.organisation_id[request.organisation]
        if request.sensitive:
            ok &= ~self.is_trainee
        for cid in request.excluded_coaches:
            ok[self.position[cid]] = False
        for i in self.excluded_by_coach.get(request.id, ()):
            ok[i] = False
        if request.pinned_coach is not None:
            pinned = self.position[request.pinned_coach]
            keep = bool(ok[pinned])
            ok[:] = False
            ok[pinned] = keep
        return ok

    def blocked_by(self, request: CoachingRequest) -> dict[str, list[str]]:
        """Each `static_blocks` rule code for `request` with the coaches it rules out, in instance order.

        The same dict, keys in the same order, as collecting `static_blocks` coach by coach.
        """
        coaches = self.instance.coaches
        n = len(coaches)
        if self.wide:
            out: dict[str, list[str]] = {}
            for c in coaches:
                for block in static_blocks(self.instance, request, c):
                    out.setdefault(block.rule, []).append(c.id)
            return out
        found: list[tuple[str, npt.NDArray[np.bool_]]] = []  # in static_blocks' order of rules
        wanted = sum(self.language_bit.get(lang, 0) for lang in set(request.languages))
        found.append(("language", (self.coach_languages & wanted) == 0))
        if request.organisation and request.organisation in self.organisation_id:
            found.append(("organisation", self.coach_organisation == self.organisation_id[request.organisation]))
        excluded = np.zeros(n, dtype=bool)
        for cid in request.excluded_coaches:
            excluded[self.position[cid]] = True
        found.append(("excluded_coach", excluded))
        excludes = np.zeros(n, dtype=bool)
        excludes[self.excluded_by_coach.get(request.id, [])] = True
        found.append(("excluded_request", excludes))
        if request.pinned_coach is not None:
            other = np.ones(n, dtype=bool)
            if request.pinned_coach in self.position:
                other[self.position[request.pinned_coach]] = False
            found.append(("pinned", other))
        if request.sensitive:
            found.append(("sensitive", self.is_trainee))
        found.append(("coach_full", self.is_full))
        closed = np.zeros(n, dtype=bool)
        for members in self.supervisor_closed.values():
            closed[members] = True
        found.append(("supervisor_full", closed))
        # Keys in order of the first coach each rule names, then of the rules for that coach.
        firsts = []
        for rank, (code, mask) in enumerate(found):
            hits = np.flatnonzero(mask)
            if len(hits):
                firsts.append((int(hits[0]), rank, code, hits))
        firsts.sort(key=lambda item: (item[0], item[1]))
        return {code: [coaches[i].id for i in hits.tolist()] for _, _, code, hits in firsts}


def supervision_minutes_left(instance: Instance, coach: Coach) -> int:
    """Minutes of new sessions before `next_supervision` that rule 10 still allows."""
    cap = instance.max_hours_between[coach.level] - coach.coaching_hours_since_supervision
    return int(cap * 60 + 1e-6) if cap >= 0 else -1


class ChainFinder:
    """Counts and enumerates the chains of a request-coach pair over the pair's slots."""

    def __init__(self, request: CoachingRequest, coach: Coach, times: PairTimes) -> None:
        self.request = request
        self.buffer = coach.buffer_minutes
        self.times = times
        self._slots: list[Slot] | None = None
        self.first_day = day_number(request.earliest_start)
        n = len(times)
        lo_gap, hi_gap = request.min_gap_days, request.max_gap_days
        days = times.coachee_day
        after = np.searchsorted(times.start, times.end + self.buffer, "left")
        # The successors of slot i (the slots that may follow it) form one index range, as
        # slots are in time order and so their coachee dates rise. A DST change at local
        # midnight can break that order; then they are listed one by one.
        self.monotone = n < 2 or bool(np.all(days[1:] >= days[:-1]))
        if self.monotone:
            lo = np.maximum(after, np.searchsorted(days, days + lo_gap, "left"))
            self.lo = lo
            self.hi = np.maximum(lo, np.searchsorted(days, days + hi_gap, "right"))
        self._successors: list[Sequence[int]] | None = None
        self.starts: list[int] = np.nonzero(days >= self.first_day)[0].tolist()
        self._can: list[list[bool]] | None = None
        self._level_arrays: list[npt.NDArray[np.bool_]] | None = None

    @property
    def slots(self) -> list[Slot]:
        if self._slots is None:
            self._slots = self.times.slots()
        return self._slots

    @property
    def successors(self) -> list[Sequence[int]]:
        if self._successors is None:
            if self.monotone:
                self._successors = [range(a, b) for a, b in zip(self.lo.tolist(), self.hi.tolist(), strict=True)]
            else:
                days = self.times.coachee_day.tolist()
                after = np.searchsorted(self.times.start, self.times.end + self.buffer, "left").tolist()
                lo_gap, hi_gap = self.request.min_gap_days, self.request.max_gap_days
                self._successors = [
                    [j for j in range(after[i], len(days)) if lo_gap <= days[j] - days[i] <= hi_gap]
                    for i in range(len(days))
                ]
        return self._successors

    def count(self, cap: int) -> int:
        """Number of chains, stopping early once above `cap`."""
        k = self.request.sessions
        if self.monotone:
            ways = np.ones(len(self.times), dtype=np.int64)
            for _ in range(k - 1):
                prefix = np.concatenate(([0], np.cumsum(ways)))
                ways = np.minimum(cap + 1, prefix[self.hi] - prefix[self.lo])
            return int(min(cap + 1, int(ways[self.starts].sum())))
        plain = [1] * len(self.times)
        for _ in range(k - 1):
            plain = [min(cap + 1, sum(plain[j] for j in succ)) for succ in self.successors]
        return min(cap + 1, sum(plain[i] for i in self.starts))

    def all_chains(self) -> Iterator[Chain]:
        k = self.request.sessions
        path: list[int] = []

        def extend(i: int) -> Iterator[Chain]:
            path.append(i)
            if len(path) == k:
                yield tuple(self.slots[p] for p in path)
            else:
                for j in self.successors[i]:
                    yield from extend(j)
            path.pop()

        for i in self.starts:
            yield from extend(i)

    def _levels(self) -> list[npt.NDArray[np.bool_]]:
        """Monotone pairs: `completable` as Boolean arrays, level by level."""
        if self._level_arrays is None:
            n = len(self.times)
            levels = [np.zeros(n, dtype=bool), np.ones(n, dtype=bool)]
            prev = np.ones(n, dtype=np.int64)
            for _ in range(self.request.sessions - 1):
                prefix = np.concatenate(([0], np.cumsum(prev)))
                level = prefix[self.hi] > prefix[self.lo]
                levels.append(level)
                prev = level.astype(np.int64)
            self._level_arrays = levels
        return self._level_arrays

    def has_chain(self) -> bool:
        """True when at least one chain starts at one of `starts`."""
        if self.monotone:
            return bool(np.any(self._levels()[self.request.sessions][self.starts]))
        can = self.completable()[self.request.sessions]
        return any(can[i] for i in self.starts)

    def completable(self) -> list[list[bool]]:
        """`table[left][i]`: a chain of `left` more sessions can start at slot i."""
        if self._can is None:
            n = len(self.times)
            if self.monotone:
                table = [level.tolist() for level in self._levels()]
            else:
                table = [[False] * n, [True] * n]
                for _ in range(self.request.sessions - 1):
                    last = table[-1]
                    table.append([any(last[j] for j in succ) for succ in self.successors])
            self._can = table
        return self._can

    def regular_chain(self, first: int, target_gap: int) -> Chain | None:
        """From slot `first`, each next session at the gap nearest `target_gap` and the same clock time."""
        can = self.completable()
        left = self.request.sessions
        if not can[left][first]:
            return None
        path = [first]
        while left > 1:
            left -= 1
            cur = self.slots[path[-1]]
            tod = cur.start % 1440
            best = min(
                (j for j in self.successors[path[-1]] if can[left][j]),
                key=lambda j: (
                    abs(self.slots[j].coachee_day - cur.coachee_day - target_gap),
                    abs(self.slots[j].start % 1440 - tod),
                    j,
                ),
            )
            path.append(best)
        return tuple(self.slots[p] for p in path)

    def sample(self, limit: int, seed: int = 0) -> list[Chain]:
        """Up to `limit` chains: all if there are no more, else weekly-regular and tightest
        ones from spread first slots, topped up with random ones (seeded, so repeatable)."""
        if self.count(limit) <= limit:
            return list(self.all_chains())
        lo_gap, hi_gap = self.request.min_gap_days, self.request.max_gap_days
        targets = sorted({min(max(7, lo_gap), hi_gap), lo_gap})
        can = self.completable()[self.request.sessions]
        firsts = [i for i in self.starts if can[i]]
        if not firsts:
            return []
        room = max(1, limit // len(targets))
        if len(firsts) > room:
            step = len(firsts) / room
            firsts = [firsts[int(t * step)] for t in range(room)]
        seen: set[Chain] = set()
        out: list[Chain] = []
        for i in firsts:
            for gap in targets:
                chain = self.regular_chain(i, gap)
                if chain is not None and chain not in seen:
                    seen.add(chain)
                    out.append(chain)
        rng = random.Random(seed)
        table = self.completable()
        all_firsts = [i for i in self.starts if can[i]]
        for _ in range(4 * limit):
            if len(out) >= limit:
                break
            path = [rng.choice(all_firsts)]
            for left in range(self.request.sessions - 1, 0, -1):
                path.append(rng.choice([j for j in self.successors[path[-1]] if table[left][j]]))
            chain = tuple(self.slots[p] for p in path)
            if chain not in seen:
                seen.add(chain)
                out.append(chain)
        return out[:limit]


@dataclass(frozen=True)
class PairSurvey:
    """What the calendar allows a request-coach pair, without listing it (see `survey`)."""

    slots: int
    chains: int  # capped at the `cap` asked for + 1
    first_day: int  # coachee-local dates of the first and last slot
    last_day: int
    last_start: int  # UTC minute of the last slot's start


_KEY = 1 << 32  # separates coaches in the combined sort keys (minutes and day numbers fit below)


@dataclass(frozen=True)
class SurveyArrays:
    """`PairSurvey` of a request with many coaches, as arrays in the order of `positions`
    (coach positions in the instance); `slots` 0 means no common slot (the other fields
    are then 0)."""

    positions: npt.NDArray[np.int64]
    slots: npt.NDArray[np.int64]
    chains: npt.NDArray[np.int64]
    first_day: npt.NDArray[np.int64]
    last_day: npt.NDArray[np.int64]
    last_start: npt.NDArray[np.int64]

    def pair(self, k: int) -> PairSurvey | None:
        if not self.slots[k]:
            return None
        return PairSurvey(
            int(self.slots[k]),
            int(self.chains[k]),
            int(self.first_day[k]),
            int(self.last_day[k]),
            int(self.last_start[k]),
        )


def survey(calendar: Calendar, request: CoachingRequest, coaches: list[Coach], cap: int) -> list[PairSurvey | None]:
    """`PairSurvey` per coach (None: no common slot); see `survey_arrays`."""
    if not coaches:
        return []
    position = _coach_positions(calendar)
    found = survey_arrays(calendar, request, np.array([position[c.id] for c in coaches], dtype=np.int64), cap)
    return [found.pair(k) for k in range(len(coaches))]


def survey_arrays(
    calendar: Calendar, request: CoachingRequest, positions: npt.NDArray[np.int64], cap: int
) -> SurveyArrays:
    """What the calendar allows the request with each coach at `positions` (ascending), in a
    few array operations.

    Equivalent to `ChainFinder(request, coach, calendar.pair_times(request, coach))` per
    coach, but with the slots of all coaches side by side, each coach's keyed apart, so
    that one `searchsorted` serves them all. Falls back to the pair-by-pair path where a
    DST change at local midnight breaks the order of coachee dates.
    """
    n = len(positions)
    out = SurveyArrays(positions, *(np.zeros(n, dtype=np.int64) for _ in range(5)))
    # Coaches whose weekly hours never meet the coachee's (`Calendar.may_meet`) have no
    # common slot: leave them out of the array work.
    meets = np.flatnonzero(calendar.meet_mask(request)[positions])
    lo, hi, day = calendar.piece_arrays(request)
    if not len(meets) or not len(lo):
        return out
    coach_index = positions[meets]
    minutes = request.session_minutes
    key, start, _ = _all_coach_slots(calendar, minutes)
    ranks = _slot_ranks(calendar, minutes)
    if ranks is not None:
        # Each coach's slots from lo to hi - minutes, read off the table of slot counts by grid cell.
        origin, grid, table = ranks
        cells = table.shape[1] - 1
        from_cell = np.clip(-((origin - lo) // grid), 0, cells)
        to_cell = np.clip((hi - minutes - origin) // grid + 1, 0, cells)
        rows = coach_index[:, None]
        first = table[rows, from_cell[None, :]].ravel()
        last = table[rows, to_cell[None, :]].ravel()
    else:
        base = (coach_index * _KEY)[:, None]
        first = np.searchsorted(key, (base + lo[None, :]).ravel(), "left")
        last = np.searchsorted(key, (base + (hi - minutes)[None, :]).ravel(), "right")
    lengths = np.maximum(last - first, 0)
    total = int(lengths.sum())
    if total == 0:
        return out
    idx = np.repeat(first - (np.cumsum(lengths) - lengths), lengths) + np.arange(total, dtype=np.int64)
    d0 = int(day.min())
    rel = np.repeat(np.tile(day - d0, len(coach_index)), lengths)  # coachee date - d0
    per_coach = lengths.reshape(len(coach_index), -1).sum(axis=1)
    # Slots in time order and coachee dates in order, coach by coach: certain when the pieces'
    # start ranges are apart and their dates rise; else look at the slots themselves.
    ordered = len(lo) < 2 or bool(np.all(lo[1:] > hi[:-1] - minutes) and np.all(day[1:] >= day[:-1]))
    if not ordered and total > 1:
        day_key = np.repeat(np.arange(len(coach_index), dtype=np.int64), per_coach) * _KEY + rel
        if bool(np.any(idx[1:] <= idx[:-1])) or bool(np.any(day_key[1:] < day_key[:-1])):
            coaches = calendar.instance.coaches
            for k in meets.tolist():
                one = _survey_one(calendar, request, coaches[int(positions[k])], cap)
                if one is not None:
                    out.slots[k], out.chains[k] = one.slots, one.chains
                    out.first_day[k], out.last_day[k], out.last_start[k] = one.first_day, one.last_day, one.last_start
            return out
    starts = start[idx]
    # Successors of slot i by date: the slots of its coach from date + min_gap to date + max_gap,
    # found in a table of slot counts per (coach, date) instead of a search.
    width = int(day.max()) - d0 + 2  # dates 0 .. width - 2, and an empty last column
    row = np.repeat(np.arange(0, len(coach_index) * width, width, dtype=np.int64), per_coach)
    before = np.zeros(len(coach_index) * width + 1, dtype=np.int64)
    np.cumsum(np.bincount(row + rel, minlength=len(coach_index) * width), out=before[1:])
    lo_j = before[row + np.minimum(rel + request.min_gap_days, width - 1)]
    hi_j = before[row + np.minimum(rel + request.max_gap_days + 1, width - 1)]
    # ... and not before the coach's buffer after its end: only where the first slot by date
    # starts too early (next-day slots around midnight, or a gap of 0 days) is it searched.
    ready = starts + np.repeat(minutes + _coach_buffers(calendar)[coach_index], per_coach)
    # lo_j is this coach's next slot by date or the next coach's first (or the end): early
    # when it is the coach's own and starts before `ready`.
    inside = lo_j < np.repeat(np.cumsum(per_coach), per_coach)
    early = np.flatnonzero(inside & (starts[np.minimum(lo_j, total - 1)] < ready))
    if len(early):
        local = np.repeat(np.arange(len(coach_index), dtype=np.int64), per_coach)
        start_key = local * _KEY + starts
        lo_j[early] = np.searchsorted(start_key, (local * _KEY + ready)[early], "left")
    np.maximum(lo_j, hi_j, out=hi_j)
    ways = np.ones(total, dtype=np.int64)
    prefix = np.zeros(total + 1, dtype=np.int64)
    for _ in range(request.sessions - 1):
        np.cumsum(ways, out=prefix[1:])
        ways = np.minimum(cap + 1, prefix[hi_j] - prefix[lo_j])
    ways[rel < day_number(request.earliest_start) - d0] = 0
    days = rel + d0
    nonempty = per_coach > 0
    group_starts = (np.cumsum(per_coach) - per_coach)[nonempty]
    at = meets[nonempty]
    out.slots[at] = per_coach[nonempty]
    out.chains[at] = np.minimum(cap + 1, np.add.reduceat(ways, group_starts))
    out.first_day[at] = np.minimum.reduceat(days, group_starts)
    out.last_day[at] = np.maximum.reduceat(days, group_starts)
    out.last_start[at] = np.maximum.reduceat(starts, group_starts)
    return out


def _coach_positions(calendar: Calendar) -> dict[str, int]:
    cached: dict[str, int] | None = getattr(calendar, "_survey_positions", None)
    if cached is None:
        cached = {c.id: i for i, c in enumerate(calendar.instance.coaches)}
        calendar._survey_positions = cached  # type: ignore[attr-defined]
    return cached


def _coach_buffers(calendar: Calendar) -> npt.NDArray[np.int64]:
    cached: npt.NDArray[np.int64] | None = getattr(calendar, "_survey_buffers", None)
    if cached is None:
        cached = np.array([c.buffer_minutes for c in calendar.instance.coaches], dtype=np.int64)
        calendar._survey_buffers = cached  # type: ignore[attr-defined]
    return cached


def _all_coach_slots(calendar: Calendar, minutes: int) -> tuple[npt.NDArray[np.int64], ...]:
    """Every coach's slots of this length side by side, keyed `coach position * _KEY + start`."""
    cached = calendar.shared.get(("all_coach_slots", minutes))
    if cached is None:
        arrays = [calendar.coach_times(c, minutes) for c in calendar.instance.coaches]
        sizes = np.array([len(a) for a in arrays], dtype=np.int64)
        group = np.repeat(np.arange(len(arrays), dtype=np.int64), sizes)
        start = np.concatenate([a.start for a in arrays]) if arrays else np.zeros(0, dtype=np.int64)
        end = np.concatenate([a.end for a in arrays]) if arrays else np.zeros(0, dtype=np.int64)
        cached = (group * _KEY + start, start, end)
        calendar.shared[("all_coach_slots", minutes)] = cached
    return cached


_RANK_CELLS = 40_000_000  # largest table of slot counts by (coach, grid cell) kept per duration


def _slot_ranks(calendar: Calendar, minutes: int) -> tuple[int, int, npt.NDArray[np.int64]] | None:
    """(origin, grid, table): every coach slot of this length starts at origin + a multiple of
    grid minutes, and table[c, t] is the position in `_all_coach_slots` of coach c's first slot
    starting at cell t or later (t up to the last cell + 1). None when the table would be too big."""
    cache_key = ("slot_ranks", minutes)
    if cache_key in calendar.shared:
        found = calendar.shared[cache_key]
        return None if not len(found) else (int(found[0][0]), int(found[0][1]), found[1])
    key, start, _ = _all_coach_slots(calendar, minutes)
    n = len(calendar.instance.coaches)
    result: tuple[int, int, npt.NDArray[np.int64]] | None = None
    if len(start):
        origin = int(start.min())
        grid = int(np.gcd.reduce(start - origin)) or 1
        cells = int(start.max() - origin) // grid + 1
        if n * (cells + 1) <= _RANK_CELLS:
            group = key // _KEY
            counts = np.bincount(group * (cells + 1) + (start - origin) // grid, minlength=n * (cells + 1))
            table = np.zeros(n * (cells + 1) + 1, dtype=np.int64)
            np.cumsum(counts, out=table[1:])
            result = (origin, grid, table[:-1].reshape(n, cells + 1))
    calendar.shared[cache_key] = () if result is None else (np.array(result[:2], dtype=np.int64), result[2])
    return result


def _survey_one(calendar: Calendar, request: CoachingRequest, coach: Coach, cap: int) -> PairSurvey | None:
    times = calendar.pair_times(request, coach)
    if not len(times):
        return None
    return PairSurvey(
        slots=len(times),
        chains=ChainFinder(request, coach, times).count(cap),
        first_day=int(times.coachee_day.min()),
        last_day=int(times.coachee_day.max()),
        last_start=int(times.start.max()),
    )
