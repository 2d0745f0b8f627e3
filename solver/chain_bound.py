"""A bound that knows time: the LP over whole-engagement columns, priced to completion.

The pair relaxation (`solver.bound`) forgets when sessions happen, so it cannot see
that two coachees want the same Tuesday evening of one coach. This relaxation keeps
time: its columns are chains (whole engagements, `solver.engagements`), and its rows
are every rule that ties engagements together, per coach and moment:

- one chain per request (rule 1);
- per coach and instant, at most one session (with its buffer) running: one row per
  start point of the coach's candidate intervals [start, end + buffer) (rule 3);
- sessions per coach-local date and per ISO week within the caps (rule 5);
- engagements per coach, trainee engagements per supervisor (rules 5 and 9);
- minutes before the next supervision within what is left (rule 10).

There are far too many chains to list (tens of millions on 16 x 60), so columns are
generated: for dual prices y >= 0 on those rows, the cheapest chain of every pair is a
shortest path over the pair's slots (successors form an index range, so each step is
a range minimum over a sparse table, for all pairs at once). Whatever the prices, the
Lagrangian value

    sum(rhs * y) + sum over requests of max(0, max over its chains of w - a.y)

bounds every plan (weights are integers: floored), so the bound is valid at every
round, not just at the end; priced to completion it equals the LP optimum. The
chains the LP uses are good columns for the CP-SAT model too.

Tier 0 (required requests): a plan serving at least `required_served` required
requests is what the bound speaks of; the relaxation bounds every plan, so it bounds
those too.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.linear_solver import pywraplp

from solver.bound import Pair
from solver.calendar import Calendar
from solver.domain import Coach, CoachingRequest, Instance
from solver.engagements import Chain, ChainFinder, supervision_minutes_left
from solver.model import busy_session_counts

INF = 1e18
PAIRS_PER_ROUND = 3  # columns added per request and round of column generation

RowKey = tuple[str, str, int]  # (kind, owner id, index): kind in day, week, point, engaged, supervisor, supervision


@dataclass(frozen=True)
class ChainRelaxation:
    bound: int  # floored Lagrangian bound, valid for every plan over the pairs
    lp_value: float | None  # the restricted LP's optimum at the last round
    columns: list[tuple[CoachingRequest, Coach, Chain, float]]  # generated chains and their LP value
    rounds: int
    complete: bool  # priced to completion: no chain prices out at the last duals


class _Slots:
    """Every pair's slots side by side, with what each slot costs in which rows."""

    def __init__(self, instance: Instance, calendar: Calendar, pairs: list[Pair]) -> None:
        self.pairs = pairs
        starts: list[npt.NDArray[np.int64]] = []
        ends: list[npt.NDArray[np.int64]] = []
        days: list[npt.NDArray[np.int64]] = []
        weeks: list[npt.NDArray[np.int64]] = []
        los: list[npt.NDArray[np.int64]] = []
        his: list[npt.NDArray[np.int64]] = []
        first_ok: list[npt.NDArray[np.bool_]] = []
        self.finders: list[ChainFinder] = []
        self.irregular: list[int] = []  # pairs whose successors are not index ranges (DST at midnight)
        offset = 0
        offsets = []
        for k, p in enumerate(pairs):
            times = calendar.pair_times(p.request, p.coach)
            finder = ChainFinder(p.request, p.coach, times)
            self.finders.append(finder)
            n = len(times)
            offsets.append(offset)
            starts.append(times.start)
            ends.append(times.end)
            days.append(times.coach_day)
            weeks.append(times.coach_week)
            ok = np.zeros(n, dtype=bool)
            ok[finder.starts] = True
            first_ok.append(ok)
            if finder.monotone:
                los.append(finder.lo + offset)
                his.append(finder.hi + offset)
            else:
                self.irregular.append(k)
                los.append(np.full(n, offset + n, dtype=np.int64))
                his.append(np.full(n, offset + n, dtype=np.int64))
            offset += n
        self.n = offset
        self.offsets = np.array(offsets, dtype=np.int64)
        self.sizes = np.array([len(s) for s in starts], dtype=np.int64)
        cat = np.concatenate if pairs else (lambda _: np.zeros(0, dtype=np.int64))
        self.start = cat(starts).astype(np.int64)
        self.end = cat(ends).astype(np.int64)
        self.day = cat(days).astype(np.int64)
        self.week = cat(weeks).astype(np.int64)
        self.lo = cat(los).astype(np.int64)
        self.hi = cat(his).astype(np.int64)
        self.first_ok = cat(first_ok).astype(bool) if pairs else np.zeros(0, dtype=bool)
        self.pair_of = np.repeat(np.arange(len(pairs), dtype=np.int64), self.sizes)
        self.sessions = np.array([p.request.sessions for p in pairs], dtype=np.int64)
        self.levels = int(self.sessions.max()) if pairs else 1


class ChainLP:
    """Column generation over chains; `run` returns a `ChainRelaxation`."""

    def __init__(
        self,
        instance: Instance,
        calendar: Calendar,
        pairs: list[Pair],
        worth: Callable[[CoachingRequest], int] | None = None,
    ) -> None:
        """`worth`: what serving a request counts (default: its tier-1 weight; tier 0 counts
        a required request as 1)."""
        self.instance = instance
        self.pairs = pairs
        self.slots = s = _Slots(instance, calendar, pairs)
        # Rows are numbered; a slot's costs are gathered from them by index.
        self.row_key: list[RowKey] = []
        self.rhs: list[float] = []
        index: dict[RowKey, int] = {}

        def row(key: RowKey, rhs: float) -> int:
            if key not in index:
                index[key] = len(self.row_key)
                self.row_key.append(key)
                self.rhs.append(rhs)
            return index[key]

        coaches = {p.coach.id: p.coach for p in pairs}
        coach_pos = {cid: i for i, cid in enumerate(coaches)}
        pair_coach = np.array([coach_pos[p.coach.id] for p in pairs], dtype=np.int64)
        slot_coach = pair_coach[s.pair_of] if len(pairs) else np.zeros(0, dtype=np.int64)
        self.day_row = np.zeros(s.n, dtype=np.int64)
        self.week_row = np.zeros(s.n, dtype=np.int64)
        self.point_lo = np.zeros(s.n, dtype=np.int64)  # point rows [point_lo, point_hi) hold the slot
        self.point_hi = np.zeros(s.n, dtype=np.int64)
        self.minutes = np.zeros(s.n, dtype=np.float64)  # rule-10 minutes of the slot
        self.supervision_row = np.zeros(s.n, dtype=np.int64)
        self.engaged_row = np.zeros(len(pairs), dtype=np.int64)
        self.supervisor_row = np.full(len(pairs), -1, dtype=np.int64)
        point_rows: list[int] = []  # row ids of point rows, contiguous per coach
        for cid, coach in coaches.items():
            mine = np.flatnonzero(slot_coach == coach_pos[cid])
            busy_days, busy_weeks = busy_session_counts(calendar, coach)
            day_ids = {
                d: row(("day", cid, d), max(0, coach.max_sessions_per_day - busy_days[d]))
                for d in np.unique(s.day[mine]).tolist()
            }
            week_ids = {
                w: row(("week", cid, w), max(0, coach.max_sessions_per_week - busy_weeks[w]))
                for w in np.unique(s.week[mine]).tolist()
            }
            self.day_row[mine] = [day_ids[d] for d in s.day[mine].tolist()]
            self.week_row[mine] = [week_ids[w] for w in s.week[mine].tolist()]
            # Rule 3: the intervals holding a start point pairwise overlap; one row per point.
            points = np.unique(s.start[mine])
            first = len(self.row_key)
            for k, point in enumerate(points.tolist()):
                point_rows.append(row(("point", cid, point), 1))
                assert index[("point", cid, point)] == first + k
            self.point_lo[mine] = first + np.searchsorted(points, s.start[mine], "left")
            self.point_hi[mine] = first + np.searchsorted(points, s.end[mine] + coach.buffer_minutes, "left")
            until = calendar_until(coach)
            self.minutes[mine] = np.where(s.start[mine] < until, (s.end[mine] - s.start[mine]).astype(np.float64), 0.0)
            self.supervision_row[mine] = row(("supervision", cid, 0), max(0, supervision_minutes_left(instance, coach)))
        # With `capacity_over_time` (rules 5' and 9') the engagement caps hold at each instant,
        # not over the horizon: these rows then get room for every pair (never binding).
        over_time = instance.capacity_over_time
        for k, p in enumerate(pairs):
            c = p.coach
            room = len(pairs) if over_time else max(0, c.max_active_coachees - c.active_coachees)
            self.engaged_row[k] = row(("engaged", c.id, 0), room)
            if c.level == "trainee" and c.supervisor:
                sup = instance.supervisor_by_id[c.supervisor]
                room = len(pairs) if over_time else max(0, sup.max_trainee_engagements - sup.active_trainee_engagements)
                self.supervisor_row[k] = row(("supervisor", sup.id, 0), room)
        self.n_rows = len(self.row_key)
        self.rhs_array = np.array(self.rhs, dtype=np.float64)
        self.is_point = np.zeros(self.n_rows, dtype=bool)
        self.is_point[point_rows] = True
        requests = {rid: i for i, rid in enumerate(dict.fromkeys(p.request.id for p in pairs))}
        self.request_ids = list(requests)
        self.pair_request = np.array([requests[p.request.id] for p in pairs], dtype=np.int64)
        value = worth or instance.weight
        self.weight = np.array([value(p.request) for p in pairs], dtype=np.float64)

        # The LP (GLOP): rows appear as columns touch them.
        self.lp = pywraplp.Solver.CreateSolver("GLOP")
        self.objective = self.lp.Objective()
        self.objective.SetMaximization()
        self.constraints: dict[int, pywraplp.Constraint] = {}
        self.request_rows: dict[int, pywraplp.Constraint] = {}
        self.columns: list[tuple[int, tuple[int, ...]]] = []  # (pair, global slot indices)
        self.column_vars: list[pywraplp.Variable] = []
        self.seen: set[tuple[int, tuple[int, ...]]] = set()

    # -- pricing -------------------------------------------------------------------------

    def slot_costs(self, y: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """a.y per slot: its day, week, point and supervision rows at prices y."""
        point_prefix = np.concatenate(([0.0], np.cumsum(np.where(self.is_point, y, 0.0))))
        cost: npt.NDArray[np.float64] = (
            y[self.day_row]
            + y[self.week_row]
            + point_prefix[self.point_hi]
            - point_prefix[self.point_lo]
            + self.minutes * y[self.supervision_row]
        )
        return cost

    def cheapest(self, y: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64], list[npt.NDArray[np.float64]]]:
        """Per pair, the least a.y of any chain (INF: none); and the per-level path costs."""
        s = self.slots
        cost = self.slot_costs(y)
        levels = [cost]  # levels[l][i]: least cost of a chain of l + 1 sessions from slot i
        n = s.n
        length = s.hi - s.lo
        has = np.flatnonzero(length > 0)
        step = np.zeros(n, dtype=np.int64)  # floor(log2(range length)): the sparse table level to read
        step[has] = np.floor(np.log2(length[has])).astype(np.int64)
        by_step = [has[step[has] == k] for k in range(int(step.max()) + 1 if n else 0)]
        for _ in range(1, s.levels):
            prev = levels[-1]
            best = np.full(n, INF)
            table = prev
            for k, rows in enumerate(by_step):
                if k:
                    width = 1 << (k - 1)
                    nxt = table.copy()
                    nxt[: n - width] = np.minimum(table[: n - width], table[width:])
                    table = nxt
                if len(rows):
                    best[rows] = np.minimum(table[s.lo[rows]], table[s.hi[rows] - (1 << k)])
            levels.append(np.minimum(INF, cost + best))
        for p in s.irregular:
            self._irregular_levels(p, levels, cost)
        final = np.full(n, INF)
        for lvl in range(s.levels):
            pick = (s.sessions[s.pair_of] == lvl + 1) & s.first_ok
            final[pick] = levels[lvl][pick]
        out = np.full(len(self.pairs), INF)
        nonempty = s.sizes > 0
        if n:
            out[nonempty] = np.minimum.reduceat(final, s.offsets[nonempty])
        return out, levels

    def _irregular_levels(self, p: int, levels: list[npt.NDArray[np.float64]], cost: npt.NDArray[np.float64]) -> None:
        s = self.slots
        base, size = int(s.offsets[p]), int(s.sizes[p])
        succ = self.slots.finders[p].successors
        for lvl in range(1, s.levels):
            below = levels[lvl - 1]
            for i in range(size):
                nxt = min((below[base + j] for j in succ[i]), default=INF)
                levels[lvl][base + i] = min(INF, cost[base + i] + nxt)

    def chain_of(self, p: int, levels: list[npt.NDArray[np.float64]]) -> tuple[int, ...]:
        """The cheapest chain of pair p, as global slot indices (backtracking the levels)."""
        s = self.slots
        base, size = int(s.offsets[p]), int(s.sizes[p])
        k = int(s.sessions[p])
        succ = s.finders[p].successors
        firsts = [base + i for i in range(size) if s.first_ok[base + i]]
        cur = min(firsts, key=lambda i: levels[k - 1][i])
        path = [cur]
        for lvl in range(k - 2, -1, -1):
            options = [base + j for j in succ[cur - base]]
            cur = min(options, key=lambda i: levels[lvl][i])
            path.append(cur)
        return tuple(path)

    def pair_costs(self, y: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The rows every chain of a pair pays once: engagements and supervisor capacity."""
        sup = np.where(self.supervisor_row >= 0, y[np.maximum(self.supervisor_row, 0)], 0.0)
        result: npt.NDArray[np.float64] = y[self.engaged_row] + sup
        return result

    # -- the LP ---------------------------------------------------------------------------

    def add_column(self, p: int, chain: tuple[int, ...]) -> None:
        key = (p, chain)
        if key in self.seen:
            return
        self.seen.add(key)
        lp = self.lp
        v = lp.NumVar(0.0, 1.0, "")
        r = int(self.pair_request[p])
        if r not in self.request_rows:
            self.request_rows[r] = lp.Constraint(-lp.infinity(), 1.0)
        self.request_rows[r].SetCoefficient(v, 1.0)
        coef: dict[int, float] = defaultdict(float)
        coef[int(self.engaged_row[p])] += 1.0
        if self.supervisor_row[p] >= 0:
            coef[int(self.supervisor_row[p])] += 1.0
        for i in chain:
            coef[int(self.day_row[i])] += 1.0
            coef[int(self.week_row[i])] += 1.0
            for point in range(int(self.point_lo[i]), int(self.point_hi[i])):
                coef[point] += 1.0
            if self.minutes[i]:
                coef[int(self.supervision_row[i])] += float(self.minutes[i])
        for rid, value in coef.items():
            if rid not in self.constraints:
                self.constraints[rid] = lp.Constraint(-lp.infinity(), float(self.rhs[rid]))
            self.constraints[rid].SetCoefficient(v, value)
        self.objective.SetCoefficient(v, float(self.weight[p]))
        self.columns.append(key)
        self.column_vars.append(v)

    def duals(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        y = np.zeros(self.n_rows, dtype=np.float64)
        for rid, c in self.constraints.items():
            y[rid] = max(0.0, c.dual_value())
        u = np.zeros(len(self.request_ids), dtype=np.float64)
        for r, c in self.request_rows.items():
            u[r] = max(0.0, c.dual_value())
        return y, u

    def lagrangian(self, y: npt.NDArray[np.float64], cheapest: npt.NDArray[np.float64]) -> float:
        reduced = self.weight - self.pair_costs(y) - cheapest
        best = np.zeros(len(self.request_ids), dtype=np.float64)
        np.maximum.at(best, self.pair_request, reduced)
        return float(self.rhs_array @ y + best.sum())

    def run(
        self,
        deadline: float,
        start_chains: list[tuple[int, tuple[int, ...]]],
        stop_at: int | None = None,
        per_round: int | None = None,
    ) -> ChainRelaxation:
        """Generate columns until priced out, `deadline` (perf_counter), or the bound reaches `stop_at`."""
        bound = math.floor(float(self.weight_upper()) + 1e-6)
        for p, chain in start_chains:
            self.add_column(p, chain)
        rounds = 0
        values: list[float] = []
        complete = False
        lp_value: float | None = None
        y = np.zeros(self.n_rows, dtype=np.float64)
        cheapest, levels = self.cheapest(y)
        bound = min(bound, math.floor(self.lagrangian(y, cheapest) + 1e-6))
        while time.perf_counter() < deadline:
            if self.columns:
                self.lp.SetTimeLimit(max(1, int(1000 * (deadline - time.perf_counter()))))
                if self.lp.Solve() != pywraplp.Solver.OPTIMAL:
                    break
                lp_value = self.objective.Value()
                values = [v.solution_value() for v in self.column_vars]
                y, u = self.duals()
            else:
                u = np.zeros(len(self.request_ids), dtype=np.float64)
            rounds += 1
            cheapest, levels = self.cheapest(y)
            # Weights are integers: the floor bounds every plan; the slack absorbs GLOP's tolerance.
            bound = min(bound, math.floor(self.lagrangian(y, cheapest) + 1e-3))
            if stop_at is not None and bound <= stop_at:
                break
            gain = self.weight - self.pair_costs(y) - cheapest - u[self.pair_request]
            if lp_value is not None and bound <= math.floor(lp_value + 1e-3):
                complete = True
                break
            # Per request, the PAIRS_PER_ROUND pairs whose cheapest chains price out most
            # (fewer rounds than one at a time; each round re-solves the LP).
            order = np.lexsort((-gain, self.pair_request))
            grouped = self.pair_request[order]
            first = np.flatnonzero(np.append(True, grouped[1:] != grouped[:-1]))
            rank = np.arange(len(order)) - np.repeat(first, np.diff(np.append(first, len(order))))
            picked = order[rank < PAIRS_PER_ROUND]
            chosen = [int(i) for i in picked.tolist() if gain[i] > 1e-6 and cheapest[i] < INF / 2]
            if not chosen:
                complete = True
                break
            if per_round is not None and len(chosen) > per_round:
                chosen = sorted(chosen, key=lambda i: -gain[i])[:per_round]
            for p in chosen:
                self.add_column(p, self.chain_of(p, levels))
        columns = []
        s = self.slots
        values += [0.0] * (len(self.columns) - len(values))
        for (p, chain), value in zip(self.columns, values, strict=True):
            pair = self.pairs[p]
            slots = s.finders[p].slots
            base = int(s.offsets[p])
            columns.append((pair.request, pair.coach, tuple(slots[i - base] for i in chain), value))
        return ChainRelaxation(bound, lp_value, columns, rounds, complete)

    def weight_upper(self) -> int:
        best = np.zeros(len(self.request_ids), dtype=np.float64)
        np.maximum.at(best, self.pair_request, self.weight)
        return int(best.sum())

    def index_chain(self, p: int, chain: Chain) -> tuple[int, ...] | None:
        """Global slot indices of a known chain of pair p (None if a slot is not the pair's)."""
        s = self.slots
        base, size = int(s.offsets[p]), int(s.sizes[p])
        starts = s.start[base : base + size]
        out = []
        for slot in chain:
            i = int(np.searchsorted(starts, slot.start))
            if i >= size or int(starts[i]) != slot.start:
                return None
            out.append(base + i)
        return tuple(out)


def calendar_until(coach: Coach) -> int:
    from solver.calendar import to_minutes

    return to_minutes(coach.next_supervision) if coach.next_supervision else 1 << 62
