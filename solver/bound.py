"""A true upper bound on served weight that does not depend on which chains were kept.

When the engagement model holds only some of the chains, its own bound is not
valid for the instance. This relaxation forgets *when* sessions happen and keeps
only what every plan must satisfy over the request-coach pairs that have at
least one chain: one coach per request (rule 1), engagement caps (rule 5),
supervisor capacity (rule 9), the sum of the per-week session caps over the
weeks in which the coach has any slot (rule 5), and supervision minutes that a
pair cannot avoid (rule 10). Every feasible plan is feasible here, so the
LP optimum on it bounds the instance (floored: weights are integers); the LP
solution also tells the search which coaches each request is likely to get.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from ortools.linear_solver import pywraplp

from solver.calendar import Calendar
from solver.domain import Coach, CoachingRequest, Instance
from solver.engagements import supervision_minutes_left
from solver.model import busy_session_counts


@dataclass(frozen=True, slots=True)  # slots: millions of pairs on the largest programmes
class Pair:
    """A request-coach pair with at least one chain, and what any of its chains costs."""

    request: CoachingRequest
    coach: Coach
    forced_supervision_minutes: int  # rule-10 minutes every chain of the pair uses
    chain_count: int  # chains of the pair, capped at the enumeration limit + 1


RowKey = tuple[str, str]  # ("engaged" | "sessions" | "supervision", coach id) or ("supervisor", id)


@dataclass(frozen=True)
class PairArrays:
    """The same pairs as arrays, in the same order: request and coach positions in the
    instance, and the rule-10 minutes every chain of the pair uses (`Pair` fields)."""

    request: npt.NDArray[np.int64]
    coach: npt.NDArray[np.int64]
    forced: npt.NDArray[np.int64]

    @staticmethod
    def of(instance: Instance, pairs: list[Pair]) -> PairArrays:
        request_pos = {r.id: i for i, r in enumerate(instance.requests)}
        coach_pos = {c.id: i for i, c in enumerate(instance.coaches)}
        return PairArrays(
            np.array([request_pos[p.request.id] for p in pairs], dtype=np.int64),
            np.array([coach_pos[p.coach.id] for p in pairs], dtype=np.int64),
            np.array([p.forced_supervision_minutes for p in pairs], dtype=np.int64),
        )


@dataclass(frozen=True)
class Relaxation:
    bound: int
    support: dict[str, list[str]]  # request id -> coaches it uses in the LP optimum, most first
    duals: dict[RowKey, float] = field(default_factory=dict)  # y >= 0 of the coupling rows at the end
    rhs: dict[RowKey, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Pricing:
    """What the Lagrangian at the relaxation's duals y says about any plan over the pairs.

    For a plan x: served weight <= L - sum over its pairs of `loss[p]` - sum over the requests
    it leaves out of `value[r]` - sum over rows of y * slack, where L = sum(rhs * y) + sum(value)
    and value[r] = max(0, max over r's pairs of w - a.y), loss[p] = value[r] - (w - a.y) >= 0.
    So a plan worth at least T uses no pair whose loss exceeds L - T, serves every request whose
    value exceeds L - T, and leaves at most (L - T) / y of room in a row priced y (reduced-cost
    fixing, valid for every plan whatever y >= 0 is).
    """

    lagrangian: float
    loss: npt.NDArray[np.float64]  # per pair, in the order given
    value: dict[str, float]  # per request with a pair
    duals: dict[RowKey, float]
    rhs: dict[RowKey, int]


def price_pairs(instance: Instance, pairs: list[Pair], duals: dict[RowKey, float], rhs: dict[RowKey, int]) -> Pricing:
    """`Pricing` of every pair at the duals `duals` (row keys as in `_coefficients`), in bulk."""
    arrays = _Pricing(instance, pairs)
    reduced = arrays.reduced(duals)
    best = arrays.best(duals)
    lagrangian = sum(rhs.get(k, 0) * y for k, y in duals.items()) + float(best.sum())
    loss: npt.NDArray[np.float64] = best[arrays.request] - reduced
    value = {
        r.id: v
        for r, v, has in zip(
            instance.requests,
            best.tolist(),
            np.bincount(arrays.request, minlength=len(instance.requests)).tolist(),
            strict=True,
        )
        if has
    }
    return Pricing(lagrangian, loss, value, duals, rhs)


LP_PAIRS = 300_000  # above this many pairs the LP starts from a few per request (see relaxation_bound)
KEPT_PER_REQUEST = 6
PAIRS_PER_ROUND = 3  # pairs added per request and round of column generation (W4: two rounds)
COACH_SIDE = 5  # it starts with each coach's heaviest requests too, this many times its room (+ as many)


def _coupling_rhs(
    instance: Instance, calendar: Calendar, pairs: list[Pair], arrays: PairArrays | None = None
) -> dict[RowKey, int]:
    """Right-hand sides of the rows that tie requests together, valid for every plan on `pairs`."""
    durations: dict[str, set[int]] = defaultdict(set)
    if arrays is None:
        for p in pairs:
            durations[p.coach.id].add(p.request.session_minutes)
    else:
        minutes = np.array([r.session_minutes for r in instance.requests], dtype=np.int64)[arrays.request]
        combos = np.unique(arrays.coach * 10_000 + minutes)  # (coach, session length), lengths < one day
        for c, m in zip((combos // 10_000).tolist(), (combos % 10_000).tolist(), strict=True):
            durations[instance.coaches[c].id].add(m)
    rhs: dict[RowKey, int] = {}
    over_time = instance.capacity_over_time  # rules 5' and 9': the caps hold at each instant,
    # not over the horizon, so a count row is only valid with room for every pair
    for coach_id, lengths in durations.items():
        coach = instance.coach_by_id[coach_id]
        engaged = len(pairs) if over_time else coach.max_active_coachees - coach.active_coachees
        rhs[("engaged", coach_id)] = max(0, engaged)
        _, busy_weeks = busy_session_counts(calendar, coach)
        weeks = {s.coach_week for d in lengths for s in calendar.coach_slots(coach, d)}
        rhs[("sessions", coach_id)] = sum(max(0, coach.max_sessions_per_week - busy_weeks[w]) for w in weeks)
        rhs[("supervision", coach_id)] = max(0, supervision_minutes_left(instance, coach))
    for sup in instance.supervisors:
        trainee = len(pairs) if over_time else sup.max_trainee_engagements - sup.active_trainee_engagements
        rhs[("supervisor", sup.id)] = max(0, trainee)
    return rhs


def _coefficients(p: Pair) -> list[tuple[RowKey, int]]:
    """The pair's coefficients in the coupling rows."""
    out: list[tuple[RowKey, int]] = [(("engaged", p.coach.id), 1), (("sessions", p.coach.id), p.request.sessions)]
    if p.forced_supervision_minutes:
        out.append((("supervision", p.coach.id), p.forced_supervision_minutes))
    if p.coach.level == "trainee" and p.coach.supervisor:
        out.append((("supervisor", p.coach.supervisor), 1))
    return out


class _PairLP:
    """The pair LP over a growing subset of the pairs (GLOP, re-solved after each addition)."""

    def __init__(self, instance: Instance, rhs: dict[RowKey, int], time_limit: float) -> None:
        self.instance = instance
        self.lp = pywraplp.Solver.CreateSolver("GLOP")
        self.lp.SetTimeLimit(max(1, int(1000 * time_limit)))
        self.rhs = rhs
        self.x: list[pywraplp.Variable] = []
        self.pairs: list[Pair] = []
        self.request_rows: dict[str, pywraplp.Constraint] = {}
        self.rows: dict[RowKey, pywraplp.Constraint] = {}
        self.objective = self.lp.Objective()
        self.objective.SetMaximization()

    def add(self, pairs: Iterable[Pair], deadline: float | None = None) -> bool:
        """Add the pairs' columns; False when `deadline` (perf_counter) passed on the way."""
        lp = self.lp
        for k, p in enumerate(pairs):
            if deadline is not None and k % 1024 == 0 and time.perf_counter() > deadline:
                return False
            v = lp.NumVar(0.0, 1.0, "")
            self.x.append(v)
            self.pairs.append(p)
            if p.request.id not in self.request_rows:
                self.request_rows[p.request.id] = lp.Constraint(-lp.infinity(), 1.0)
            self.request_rows[p.request.id].SetCoefficient(v, 1.0)
            for key, coef in _coefficients(p):
                if key not in self.rows:
                    self.rows[key] = lp.Constraint(-lp.infinity(), float(self.rhs[key]))
                self.rows[key].SetCoefficient(v, float(coef))
            self.objective.SetCoefficient(v, float(self.instance.weight(p.request)))
        return True

    def solve(self) -> bool:
        return bool(self.lp.Solve() == pywraplp.Solver.OPTIMAL)

    def duals(self) -> dict[RowKey, float]:
        return {key: max(0.0, row.dual_value()) for key, row in self.rows.items()}

    def request_duals(self) -> dict[str, float]:
        return {rid: max(0.0, row.dual_value()) for rid, row in self.request_rows.items()}


class _Pricing:
    """All pairs as arrays, to price them against dual prices in a few vector operations.

    A pair's cost at duals y is y[engaged, coach] + sessions * y[sessions, coach] + forced
    minutes * y[supervision, coach] + y[supervisor of a trainee coach] (`_coefficients`).
    """

    def __init__(self, instance: Instance, pairs: list[Pair], arrays: PairArrays | None = None) -> None:
        self.pairs = pairs
        arrays = arrays or PairArrays.of(instance, pairs)
        self.n_requests = len(instance.requests)
        self._request_ids = [r.id for r in instance.requests]
        self.coach_pos = {c.id: i for i, c in enumerate(instance.coaches)}
        self.supervisor_pos = {s.id: i for i, s in enumerate(instance.supervisors)}
        self.request = arrays.request
        self.coach = arrays.coach
        self.forced = arrays.forced.astype(np.float64)
        sessions = np.array([r.sessions for r in instance.requests], dtype=np.float64)
        weights = np.array([instance.weight(r) for r in instance.requests], dtype=np.float64)
        self.request_weight = weights
        self.sessions = sessions[self.request]
        self.weight = weights[self.request]
        supervisor_of = np.array(
            [
                self.supervisor_pos.get(c.supervisor or "", -1) if c.level == "trainee" and c.supervisor else -1
                for c in instance.coaches
            ],
            dtype=np.int64,
        )
        self.supervisor = supervisor_of[self.coach]
        # Pairs grouped by request, for the best reduced cost of each request.
        self.order: npt.NDArray[np.int64] | None = None
        if len(self.request) > 1 and bool(np.any(self.request[1:] < self.request[:-1])):
            self.order = np.argsort(self.request, kind="stable")
        grouped = self.request if self.order is None else self.request[self.order]
        self.group_starts = np.flatnonzero(np.concatenate(([len(grouped) > 0], grouped[1:] != grouped[:-1])))
        self.group_request = grouped[self.group_starts]

    def _dual_arrays(self, duals: dict[RowKey, float]) -> tuple[npt.NDArray[np.float64], ...]:
        n = len(self.coach_pos)
        rows = {"engaged": np.zeros(n), "sessions": np.zeros(n), "supervision": np.zeros(n)}
        sup = np.zeros(len(self.supervisor_pos) + 1)  # the last: no supervisor
        for (kind, ident), value in duals.items():
            if kind == "supervisor":
                sup[self.supervisor_pos[ident]] = value
            else:
                rows[kind][self.coach_pos[ident]] = value
        return rows["engaged"], rows["sessions"], rows["supervision"], sup

    def reduced(self, duals: dict[RowKey, float]) -> npt.NDArray[np.float64]:
        """w - a.y for every pair."""
        engaged, sessions, supervision, sup = self._dual_arrays(duals)
        c = self.coach
        cost = engaged[c] + self.sessions * sessions[c] + self.forced * supervision[c] + sup[self.supervisor]
        result: npt.NDArray[np.float64] = self.weight - cost
        return result

    def best_by_request(self, reduced: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The best reduced cost of each request (0 for requests without pairs, or all below 0)."""
        best = np.zeros(self.n_requests, dtype=np.float64)
        if len(reduced):
            grouped = reduced if self.order is None else reduced[self.order]
            best[self.group_request] = np.maximum(0.0, np.maximum.reduceat(grouped, self.group_starts))
        return best

    def best(self, duals: dict[RowKey, float]) -> npt.NDArray[np.float64]:
        """Per request (instance order), max(0, max over its pairs of w - a.y)."""
        return self.best_by_request(self.reduced(duals))

    def lagrangian(
        self, duals: dict[RowKey, float], rhs: dict[RowKey, int], reduced: npt.NDArray[np.float64] | None = None
    ) -> float:
        """sum(rhs * y) + sum over requests of max(0, best w - a.y): an upper bound for any y >= 0."""
        if reduced is None:
            reduced = self.reduced(duals)
        return sum(rhs.get(k, 0) * y for k, y in duals.items()) + float(self.best_by_request(reduced).sum())

    def first_columns(self, rhs: dict[RowKey, int], preferred: dict[str, set[str]], per_request: int) -> list[int]:
        """Pairs to start the column generation with: those of the `preferred` coaches (the
        greedy plans': close to the LP's optimum where capacity binds); each coach's heaviest
        requests, `COACH_SIDE` times its room (so that the duals of the coaches that fill up
        are right from the first round: on W4 three rounds instead of twenty); and per
        request its first `per_request` pairs (any start is valid; pricing adds what is missing)."""
        n_coaches = len(self.coach_pos)
        keys = self.request * n_coaches + self.coach
        wanted = [
            rpos * n_coaches + self.coach_pos[cid]
            for rpos, rid in enumerate(self._request_ids)
            for cid in preferred.get(rid, ())
            if cid in self.coach_pos
        ]
        chosen = np.isin(keys, np.array(wanted, dtype=np.int64)) if wanted else np.zeros(len(keys), dtype=bool)
        if COACH_SIDE:  # without them the duals of full coaches stay 0 for rounds on end
            room = np.zeros(n_coaches, dtype=np.int64)
            for (kind, ident), value in rhs.items():
                if kind == "engaged":
                    room[self.coach_pos[ident]] = value
            by_coach = np.lexsort((-self.weight, self.coach))
            grouped = self.coach[by_coach]
            starts = np.flatnonzero(np.concatenate(([True], grouped[1:] != grouped[:-1])))
            rank = np.arange(len(grouped)) - np.repeat(starts, np.diff(np.append(starts, len(grouped))))
            chosen[by_coach[rank < COACH_SIDE * room[grouped] + COACH_SIDE]] = True
        if per_request:
            grouped_r = self.request if self.order is None else self.request[self.order]
            first = self.group_starts
            rank_r = np.arange(len(grouped_r)) - np.repeat(first, np.diff(np.append(first, len(grouped_r))))
            index = np.arange(len(grouped_r)) if self.order is None else self.order
            chosen[index[rank_r < per_request]] = True
        return np.flatnonzero(chosen).tolist()


def relaxation_bound(
    instance: Instance,
    calendar: Calendar,
    pairs: list[Pair],
    time_limit: float = 60.0,
    preferred: dict[str, set[str]] | None = None,
    arrays: PairArrays | None = None,
) -> Relaxation:
    """Upper bound on tier 1 over all plans that use only `pairs` (pairs with any chain).

    The LP relaxation (GLOP) gives the bound; its support tells the search which coaches
    are worth chains for each request (LP-guided columns). On very many pairs the LP starts
    from the `preferred` coaches, each coach's heaviest requests and a few pairs per request,
    and adds the pairs that price out (column generation); its bound is then the Lagrangian
    one from the dual prices y >= 0 of the coupling rows, valid for all pairs:
    sum(rhs * y) + sum over requests of max(0, max over its pairs of w - a.y).
    `arrays` (optional) are the pairs as arrays, which spares reading them pair by pair.
    """
    began = time.perf_counter()
    if not pairs:
        return Relaxation(0, {})
    if arrays is None and len(pairs) > LP_PAIRS:
        arrays = PairArrays.of(instance, pairs)
    if arrays is not None:
        weights = np.array([instance.weight(r) for r in instance.requests], dtype=np.int64)
        trivial = int(weights[np.unique(arrays.request)].sum())
    else:
        trivial = sum(instance.weight(r) for r in {p.request.id: p.request for p in pairs}.values())
    rhs = _coupling_rhs(instance, calendar, pairs, arrays)
    lp = _PairLP(instance, rhs, time_limit)
    if len(pairs) <= LP_PAIRS:
        # Building the LP takes time too: past the time limit, the plain bound.
        if not lp.add(pairs, deadline=began + time_limit) or not lp.solve():
            return Relaxation(trivial, {})
        # Weights are integers, so the integer optimum is at most the floor of the LP value;
        # the small slack absorbs the simplex's feasibility tolerance.
        bound = min(trivial, math.floor(lp.objective.Value() + 1e-3))
    else:
        pricing = _Pricing(instance, pairs, arrays)
        in_lp = np.zeros(len(pairs), dtype=bool)
        # The best-matched few per request with the preferred coaches (`_kept`), and each
        # coach's heaviest requests (`first_columns`: the duals of full coaches right from the
        # first round; on W4 two rounds instead of eighteen).
        in_lp[_kept(instance, pairs, preferred or {})] = True
        in_lp[pricing.first_columns(rhs, preferred or {}, 0)] = True
        lp.add(pairs[i] for i in np.flatnonzero(in_lp).tolist())
        bound = trivial
        while lp.solve():
            duals = lp.duals()
            reduced = pricing.reduced(duals)
            bound = min(bound, math.floor(pricing.lagrangian(duals, rhs, reduced) + 1e-3))
            if bound <= math.floor(lp.objective.Value() + 1e-3) or time.perf_counter() - began > time_limit:
                break
            # Add, per request, the PAIRS_PER_ROUND best pairs outside the LP that price out
            # against its row's dual (fewer rounds than one at a time; each round re-solves).
            u = lp.request_duals()
            request_dual = np.array([u.get(r.id, 0.0) for r in instance.requests], dtype=np.float64)
            gain = reduced - request_dual[pricing.request]
            gain[in_lp] = -np.inf
            candidates = np.flatnonzero(gain > 1e-6)
            if not len(candidates):
                break
            order = candidates[np.lexsort((-gain[candidates], pricing.request[candidates]))]
            grouped = pricing.request[order]
            firsts = np.flatnonzero(np.concatenate(([True], grouped[1:] != grouped[:-1])))
            rank = np.arange(len(order)) - np.repeat(firsts, np.diff(np.append(firsts, len(order))))
            chosen = order[rank < PAIRS_PER_ROUND].tolist()
            in_lp[chosen] = True
            lp.add(pairs[i] for i in chosen)
    support: dict[str, list[tuple[float, str]]] = defaultdict(list)
    if lp.lp.NumVariables() and lp.pairs:
        for p, v in zip(lp.pairs, lp.x, strict=True):
            value = v.solution_value()
            if value > 1e-6:
                support[p.request.id].append((-value, p.coach.id))
    duals = lp.duals() if lp.lp.NumVariables() and lp.pairs else {}
    return Relaxation(bound, {rid: [cid for _, cid in sorted(items)] for rid, items in support.items()}, duals, rhs)


def _kept(instance: Instance, pairs: list[Pair], preferred: dict[str, set[str]]) -> list[int]:
    """Per request, the preferred coaches' pairs and the best-matched others, up to a few, as
    positions in `pairs` (a map from each pair to its position took 300 MB on W4's 4.2 million).

    Best match as `solver.scoring.match_rank` orders coaches (then by id), ranked with one
    array sort per request (`MatchOrder`): a Python key per pair took over a second on
    W3's 174 000 pairs.
    """
    from solver.scoring import MatchOrder

    order = MatchOrder(instance.coaches)
    by_request: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(pairs):
        by_request[p.request.id].append(i)
    kept: list[int] = []
    for rid, options in by_request.items():
        wanted = preferred.get(rid, set())
        first = [i for i in options if pairs[i].coach.id in wanted]
        rest = [i for i in options if pairs[i].coach.id not in wanted]
        room = max(0, KEPT_PER_REQUEST - len(first))
        if room and rest:
            points = order.points(pairs[options[0]].request)
            at = np.array([order.position[pairs[i].coach.id] for i in rest], dtype=np.int64)
            best = np.lexsort((order.id_rank[at], order.neg_spare[at], -points[at]))[:room]
            first += [rest[k] for k in best.tolist()]
        kept.extend(first)
    return kept
