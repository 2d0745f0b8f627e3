"""`solve`: greedy warm start, engagement columns, CP-SAT tier by tier, an honest bound.

1. Greedy plans: first come first served (the baseline) and by weight, keeping
   the current plan where it still holds (the hint).
2. Scan every request-coach pair that keeps the static rules (rules 5-9) for
   slots and chains (`survey`).
3. The LP relaxation of the pair problem (`solver.bound`) gives an upper bound
   valid for the whole instance, and its support picks the coaches worth chains;
   a third greedy plan books the requests the LP serves with the LP's coaches first
   (`_guided_plan`), often within a few points of the bound.
4. Columns: every chain if there are few in all; else a spread of chains for the
   LP-support and greedy coaches, plus the chains the greedy and current plans use.
5. The target round: CP-SAT looks for a plan worth the pair bound over the columns
   that such a plan may use at all (reduced-cost fixing at the pair LP's duals,
   `solver.bound.Pricing`), with the requests it must serve and the rows it must
   fill as constraints. Where the pair bound is tight (W2, W3) this small model
   finds the optimum in about a second, and so proves it.
6. Rounds of CP-SAT on the columns; when the first round (a short slice) does not
   reach the pair bound and the programme is small enough, the bound that knows
   time (`solver.chain_bound`: whole-engagement columns against each coach's
   hours, days and weeks) tightens it and adds the chains its LP uses; while a
   round solves its columns to optimality below the bound, widen them (more
   coaches, more chains) and go again. Once every chain of every pair is a column, the model's own bound is
   valid too.

Tier 0 (required requests served) comes before all: both greedy plans place the
required requests first, every coach of a required request gets columns, a short
CP-SAT run maximises the required count when the greedy plans miss some, and every
later model keeps at least that many (so the bound on served weight is one among
plans serving at least `required_served`). OPTIMAL needs tier 0 proven too.

Tier 1 is exact by solving tier by tier: phase 1 maximises served weight alone;
when its optimum is proven (reaching the LP bound, or an exact model solved),
phase 2 fixes it (served weight == optimum) and maximises tiers 2-5
(`solver.scoring`). When it is not, the last ~15% of the time maximises tiers
2-5 with served weight kept at least at the best found.

The plan returned is never worse in tier 1 than the first-come-first-served
baseline: both greedy plans' chains are columns of the model, the better plan
is the hint, and a CP-SAT answer below it is ignored. Both greedy plans come
first, before the scan; the baseline runs to the end even past the time limit
(the plan by weight stops at the limit), and when the scan cannot finish in
time the better greedy plan is the answer.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from itertools import repeat

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from solver.baseline import Booking, CoachOrder, booking_assignments, fill, first_come_order, required_placed, resume
from solver.bound import Pair, PairArrays, price_pairs, relaxation_bound
from solver.calendar import Calendar, to_minutes
from solver.chain_bound import ChainLP, ChainRelaxation
from solver.domain import Assignment, Coach, CoachingRequest, Instance, Progress, Solution
from solver.engagements import Chain, ChainFinder, StaticRules, static_blocks, survey_arrays
from solver.explanations import RequestFacts, unassigned_reasons
from solver.model import Column, PackingModel, run
from solver.scoring import chain_to_assignment, match_rank, secondary_points

ALL_CHAINS_LIMIT = 20_000  # with at most this many chains in all, every one is a column
CHAINS_PER_PAIR = 12  # otherwise a spread sample of this many per request-coach pair kept
CHAIN_LP_SLOTS = 150_000  # the time-aware relaxation runs when all pairs have at most this many slots
TARGET_PAIRS = 300_000  # the target round runs up to this many pairs (W3: 174 000)
TARGET_GAP = 0.02  # the target round runs when the best plan so far is this close to the pair bound
TARGET_STEPS = (0.0, 0.0002, 0.0005, 0.001)  # targets below the pair bound, as shares of it
TARGET_SHARE = 0.5  # of the time left, for the round that looks for a plan worth the pair bound
INF = float("inf")
EXTRA_COACHES = 0  # best-matched coaches kept per request beyond those the plans suggest

_STATUS_NAMES: dict[cp_model.CpSolverStatus, str] = {
    cp_model.OPTIMAL: "OPTIMAL",
    cp_model.FEASIBLE: "FEASIBLE",
    cp_model.INFEASIBLE: "INFEASIBLE",
    cp_model.MODEL_INVALID: "MODEL_INVALID",
    cp_model.UNKNOWN: "UNKNOWN",
}


def current_chains(instance: Instance, calendar: Calendar) -> dict[str, tuple[Coach, Chain]]:
    """The current plan's engagements that still match candidate slots and the gap rules."""
    out: dict[str, tuple[Coach, Chain]] = {}
    for a in instance.current:
        request = instance.request_by_id[a.request]
        coach = instance.coach_by_id[a.coach]
        if len(a.sessions) != request.sessions or static_blocks(instance, request, coach):
            continue
        times = calendar.pair_times(request, coach)
        position = {t: i for i, t in enumerate(times.start.tolist())}
        starts = [to_minutes(s.start) for s in a.sessions]
        if any(t not in position for t in starts):
            continue
        finder = ChainFinder(request, coach, times.subset(np.array([position[t] for t in starts], dtype=np.int64)))
        slots = finder.slots
        if 0 in finder.starts and all(i + 1 in finder.successors[i] for i in range(len(slots) - 1)):
            out[a.request] = (coach, tuple(slots))
    return out


def _served(instance: Instance, booking: Booking) -> int:
    return sum(instance.weight(instance.request_by_id[rid]) for rid in booking.placed)


def _tiers(instance: Instance, booking: Booking) -> tuple[int, int]:
    """Tiers 0 and 1 of a greedy plan, to compare plans lexicographically."""
    return required_placed(instance, booking.placed), _served(instance, booking)


def _plan(
    instance: Instance,
    calendar: Calendar,
    booking: Booking,
    *,
    bound: int,
    facts: dict[str, RequestFacts],
    stats: dict[str, object],
    began: float,
    required_bound: int = 0,
) -> Solution:
    """A solution from a greedy booking, when there is no time left to optimise.

    `required_bound`: how many required requests any plan can serve at most (tier 0).
    """
    assignments = booking_assignments(instance, calendar, booking)
    served = _served(instance, booking)
    bound = max(bound, served)
    required = required_placed(instance, booking.placed)
    return Solution(
        status="OPTIMAL" if served == bound and required >= required_bound else "FEASIBLE",
        required_served=required if instance.has_required else None,
        served_weight=served,
        served_weight_bound=bound,
        assignments=tuple(sorted(assignments, key=lambda a: a.request)),
        unassigned=tuple(unassigned_reasons(instance, calendar, assignments, facts)),
        stats={"wall_seconds": round(time.perf_counter() - began, 3), **stats},
    )


def _writing(scanned: int) -> float:
    """Seconds to keep for writing the greedy plan with the reasons of `scanned` requests (the
    rest say the time ran out): about 0.2 ms a scanned request on W4 under load, doubled."""
    return 0.3 + 4e-4 * scanned


def _guided_plan(
    instance: Instance,
    calendar: Calendar,
    candidates: CoachOrder,
    support: dict[str, list[str]],
    keep: dict[str, tuple[Coach, Chain]],
    deadline: float,
) -> Booking | None:
    """The greedy booking the pair LP suggests: first every request the LP serves, by weight
    (required ones first: tier 0), each with the LP's coaches only; then, by weight, every
    request still out with all its `candidates` (best match first, as the other greedy plans).
    The first pass keeps a request that misses its LP coach from taking another request's LP
    coach as a fallback (a cascade that cost 100-300 points on W3). None when the deadline
    passes on the way."""
    by_id = instance.coach_by_id
    lp_coaches = {rid: [by_id[cid] for cid in cids] for rid, cids in support.items() if cids}

    def by_weight(r: CoachingRequest) -> tuple[bool, int, datetime, str]:
        return (not r.required, -instance.weight(r), r.submitted_at, r.id)

    first = sorted((instance.request_by_id[rid] for rid in lp_coaches), key=by_weight)
    booking = fill(instance, calendar, first, keep, lp_coaches, deadline=deadline)
    if booking.done < len(first):
        return None
    rest = sorted((r for r in instance.requests if r.id not in booking.placed), key=by_weight)
    booking.done = 0
    return booking if resume(booking, rest, candidates, deadline=deadline) else None


def coefficient(kind: str, owner: str, col: Column) -> int:
    """The column's coefficient in the pair LP's row (kind, owner) (`solver.bound._coefficients`)."""
    coach = col.coach
    if kind == "engaged":
        return 1 if coach.id == owner else 0
    if kind == "sessions":
        return col.request.sessions if coach.id == owner else 0
    if kind == "supervisor":
        return 1 if coach.level == "trainee" and coach.supervisor == owner else 0
    return 0  # supervision minutes: left out (the forced minutes are not the column's own)


def _gap(value: int, bound: int | None) -> float | None:
    if bound is None:
        return None
    return 0.0 if bound <= 0 else max(0.0, (bound - value) / bound)


def solve(
    instance: Instance,
    *,
    time_limit: float = 10.0,
    workers: int = 2,
    seed: int = 0,
    on_progress: Callable[[Progress], None] | None = None,
) -> Solution:
    """Best plan found within `time_limit` seconds, with a proven upper bound on served weight."""
    began = time.perf_counter()

    def left() -> float:
        return time_limit - (time.perf_counter() - began)

    calendar = Calendar(instance)
    rules = StaticRules(instance)

    # Both greedy plans first, over the coaches without a static block, best match first, less
    # those that cannot fit (`CoachOrder`): the same plans as over every coach, and the
    # baseline the plan must never fall below is in hand before the scan, so the time limit
    # can hold. First come first served first, to the end; then the plan by weight, which
    # stops where the time runs out (a partial plan is still a plan).
    coach_order = CoachOrder(instance, calendar, rules)
    fcfs = fill(instance, calendar, first_come_order(instance), None, coach_order)
    may_take = {r.id: bool(coach_order.allowed_mask(r).any()) for r in instance.requests}
    # Until the pair scan, the bound is the weight of every request some coach may take; while
    # it scans, the requests found without any chain come off it.
    static_bound = sum(instance.weight(r) for r in instance.requests if may_take[r.id])
    reported = [0.0]

    def report_greedy(plan: Booking, bound: int) -> None:
        """Progress with a greedy plan: the first answers come before any optimisation."""
        if on_progress is not None:
            reported[0] = time.perf_counter()
            on_progress(
                Progress(
                    elapsed_seconds=round(reported[0] - began, 3),
                    served_weight=_served(instance, plan),
                    served_weight_bound=bound,
                    gap=_gap(_served(instance, plan), bound),
                )
            )

    report_greedy(fcfs, static_bound)
    keep = current_chains(instance, calendar)
    by_weight = sorted(instance.requests, key=lambda r: (not r.required, -instance.weight(r), r.submitted_at, r.id))
    hinted = fill(instance, calendar, by_weight, keep, coach_order, deadline=began + time_limit - _writing(0))
    hint = hinted if _tiers(instance, hinted) >= _tiers(instance, fcfs) else fcfs
    report_greedy(hint, static_bound)

    # Scan the pairs that keep the static rules and have at least one chain, while time is left.
    pairs: list[Pair] = []
    pair_facts: dict[str, RequestFacts] = {}
    servable: set[str] = set()  # requests with a pair found so far
    scan_slots = 0  # slots of all pairs with a chain: the size of the chain relaxation
    calendar_slots: dict[tuple[str, str], int] = {}  # slots per pair of a required request

    def early_plan(relaxed: int | None = None) -> Solution:
        """The better greedy plan, when there is no time left to optimise; the bound is the
        weight of every request with a chain (scanned) or without a static block (not yet)."""

        def may_serve(r: CoachingRequest) -> bool:
            return r.id in servable if r.id in pair_facts else may_take[r.id]

        bound = sum(instance.weight(r) for r in instance.requests if may_serve(r))
        if relaxed is not None:  # the LP bound, once every pair is scanned
            bound = min(bound, relaxed)
        return _plan(
            instance,
            calendar,
            hint,
            bound=bound,
            required_bound=sum(1 for r in instance.requests if r.required and may_serve(r)),
            facts=pair_facts,
            stats={
                "solver": "greedy (time limit reached before CP-SAT)",
                "workers": workers,
                "greedy_served_weight": _served(instance, fcfs),
            },
            began=began,
        )

    coaches = instance.coaches
    coach_ids = np.array([c.id for c in coaches], dtype=object)
    # Rule 10: a pair's sessions all count toward supervision when the coach has no planned
    # supervision, or when the pair's last slot starts before it.
    until = np.array(
        [to_minutes(c.next_supervision) if c.next_supervision else np.iinfo(np.int64).max for c in coaches],
        dtype=np.int64,
    )
    request_position = {r.id: i for i, r in enumerate(instance.requests)}
    pair_request: list[npt.NDArray[np.int64]] = []  # the pairs as arrays too, for the pair LP
    pair_coach: list[npt.NDArray[np.int64]] = []
    pair_forced: list[npt.NDArray[np.int64]] = []
    unservable = 0  # weight of the scanned requests without any chain
    for request in instance.requests:
        if left() <= _writing(len(pair_facts)):
            return early_plan()
        if time.perf_counter() - reported[0] > 2.0:  # a long scan (W4: tens of seconds) reports too
            report_greedy(hint, static_bound - unservable)
        positions = np.flatnonzero(coach_order.allowed_mask(request))  # in instance order
        surveyed = survey_arrays(calendar, request, positions, ALL_CHAINS_LIMIT)
        has_chain = surveyed.chains > 0
        eligible = positions[has_chain]
        facts = RequestFacts(
            no_time=coach_ids[positions[surveyed.slots == 0]].tolist(),
            no_chain=coach_ids[positions[(surveyed.slots > 0) & ~has_chain]].tolist(),
            eligible=coach_ids[eligible].tolist(),
        )
        pair_facts[request.id] = facts
        if not len(eligible):
            unservable += instance.weight(request) if len(positions) else 0
            continue
        facts.first_day = int(surveyed.first_day[has_chain].min())
        facts.last_day = int(surveyed.last_day[has_chain].max())
        servable.add(request.id)
        slots = surveyed.slots[has_chain]
        chains = surveyed.chains[has_chain]
        scan_slots += int(slots.sum())
        forced = np.where(
            surveyed.last_start[has_chain] < until[eligible], request.sessions * request.session_minutes, 0
        )
        pairs.extend(
            map(Pair, repeat(request), [coaches[c] for c in eligible.tolist()], forced.tolist(), chains.tolist())
        )
        pair_request.append(np.full(len(eligible), request_position[request.id], dtype=np.int64))
        pair_coach.append(eligible)
        pair_forced.append(forced)
        if request.required:
            for c, n in zip(eligible.tolist(), slots.tolist(), strict=True):
                calendar_slots[(request.id, coaches[c].id)] = n
    if left() <= _writing(len(pair_facts)):
        return early_plan()
    complete = sum(p.chain_count for p in pairs) <= ALL_CHAINS_LIMIT

    timings = {"prepare": time.perf_counter() - began}
    # Writing the plan and the reasons for the unserved takes time too; on big instances
    # about a tenth of the preparation, up to a sixth on a loaded machine (W3-DST: 4.5 s after a
    # 30.6 s preparation): keep a fifth.
    wrap_up = 0.2 * timings["prepare"]
    preferred: dict[str, set[str]] = {}
    for plan in (fcfs.placed, hinted.placed):
        for rid, (coach, _) in plan.items():
            preferred.setdefault(rid, set()).add(coach.id)
    empty = np.zeros(0, dtype=np.int64)
    arrays = PairArrays(
        np.concatenate(pair_request) if pair_request else empty,
        np.concatenate(pair_coach) if pair_coach else empty,
        np.concatenate(pair_forced).astype(np.int64) if pair_forced else empty,
    )
    relaxation = relaxation_bound(instance, calendar, pairs, max(0.1, 0.5 * left()), preferred, arrays)
    relaxed_bound = relaxation.bound  # never above the sum of weights of servable requests
    timings["relaxation"] = time.perf_counter() - began - timings["prepare"]
    if left() - wrap_up <= 0.3:  # no time for columns and a model: the better greedy plan
        return early_plan(relaxed_bound)

    # A third greedy plan, guided by the pair LP: the requests its optimum serves first (by
    # weight), each trying the coaches the LP gives it first. Where the pair bound is tight
    # (W3: the LP's assignment nearly fits everyone's hours) it lands within a few points of
    # the bound in about a second, a far better hint than the plans by arrival or by weight,
    # from which CP-SAT took 20-40 s to climb the last 0.1%.
    guided = _guided_plan(
        instance, calendar, coach_order, relaxation.support, keep, deadline=time.perf_counter() + 0.25 * left()
    )
    if guided is not None and _tiers(instance, guided) > _tiers(instance, hint):
        hint = guided

    # Columns: every chain when there are few in all (then the model is exact); otherwise, per
    # request, a spread sample of chains with the coaches the relaxation, the greedy plans and
    # the current plan pick, and the best-matched others; plus every chain those plans use.
    columns: list[Column] = []
    seen: dict[tuple[str, str, Chain], int] = {}

    def add(request: CoachingRequest, coach: Coach, chain: Chain) -> None:
        key = (request.id, coach.id, chain)
        if key not in seen:
            seen[key] = len(columns)
            secondary = secondary_points(instance, calendar, request, coach, chain)
            columns.append(Column(request, coach, chain, instance.weight(request), secondary))

    pairs_of: dict[str, list[Pair]] = {}
    for p in pairs:
        pairs_of.setdefault(p.request.id, []).append(p)

    enumerated: set[tuple[str, str]] = set()  # pairs whose every chain is a column

    def exact() -> bool:
        """True when the model holds every chain of every pair: its own bound is then valid."""
        return len(enumerated) == len(pairs)

    def widen(extra_coaches: int, chains_per_pair: int) -> None:
        for rid, options in pairs_of.items():
            if left() - wrap_up < 0.3:
                return  # out of time: the columns so far (every greedy chain is one already)
            request = instance.request_by_id[rid]
            if complete or request.required:  # a required request gets every coach it may have
                chosen_pairs = options
            else:
                wanted = set(relaxation.support.get(rid, ()))
                for plan in (fcfs.placed, hinted.placed, keep):
                    if rid in plan:
                        wanted.add(plan[rid][0].id)
                ranked = sorted(options, key=lambda p: (match_rank(request, p.coach), p.coach.id))
                chosen_pairs = [p for p in ranked if p.coach.id in wanted] + [
                    p for p in ranked if p.coach.id not in wanted
                ][:extra_coaches]
            for p in chosen_pairs:
                if (rid, p.coach.id) in enumerated:
                    continue
                finder = ChainFinder(request, p.coach, calendar.pair_times(request, p.coach))
                if complete or p.chain_count <= min(chains_per_pair, ALL_CHAINS_LIMIT):
                    enumerated.add((rid, p.coach.id))
                    chains: Iterable[Chain] = finder.all_chains()
                else:
                    chains = finder.sample(chains_per_pair, seed)
                for chain in chains:
                    add(request, p.coach, chain)

    for booking_plan in (fcfs, hinted, guided):
        if booking_plan is None:
            continue
        for rid, (coach, chain) in booking_plan.placed.items():
            add(instance.request_by_id[rid], coach, chain)
    for rid, (coach, chain) in keep.items():
        add(instance.request_by_id[rid], coach, chain)
    widen(EXTRA_COACHES, CHAINS_PER_PAIR)

    chain_relaxation: ChainRelaxation | None = None

    def tighten_with_time() -> bool:
        """The chain relaxation (`solver.chain_bound`): a bound that sees each coach's hours,
        days and weeks, and the chains its LP uses as columns. False when it does not fit."""
        nonlocal relaxed_bound, chain_relaxation
        if chain_relaxation is not None or scan_slots > CHAIN_LP_SLOTS or left() < 0.3:
            return False
        clp = ChainLP(instance, calendar, pairs)
        position = {(p.request.id, p.coach.id): k for k, p in enumerate(pairs)}
        start: list[tuple[int, tuple[int, ...]]] = []
        for i in chosen:
            col = columns[i]
            k = position.get((col.request.id, col.coach.id))
            indices = None if k is None else clp.index_chain(k, col.chain)
            if k is not None and indices is not None:
                start.append((k, indices))
        chain_relaxation = clp.run(time.perf_counter() + 0.5 * left(), start, stop_at=served)
        relaxed_bound = min(relaxed_bound, chain_relaxation.bound)
        for request, coach, chain, _ in chain_relaxation.columns:
            add(request, coach, chain)
        timings["chain_relaxation"] = time.perf_counter() - began
        return True

    def valid_bound(model_bound: float) -> int:
        if exact():
            return min(relaxed_bound, int(model_bound + 1e-6))
        return relaxed_bound

    def report(objective: float, model_bound: float) -> None:
        if on_progress is not None:
            bound = valid_bound(model_bound)
            on_progress(
                Progress(
                    elapsed_seconds=round(time.perf_counter() - began, 3),
                    served_weight=int(objective),
                    served_weight_bound=bound,
                    gap=_gap(int(objective), bound),
                )
            )

    # Rounds: solve over the columns so far; while the restricted model is solved but the
    # bound is not reached, widen the columns (more coaches, more chains) and solve again.
    chosen = {seen[(rid, coach.id, chain)] for rid, (coach, chain) in hint.placed.items()}
    served = _served(instance, hint)
    bound = valid_bound(float(relaxed_bound))
    cp_status = "UNKNOWN"

    # Tier 0 first: the most required requests any plan over the columns serves; every
    # plan after this serves at least as many. Proven when it reaches the required
    # requests that have a chain at all, or when the model holds every chain.
    required_target = required_placed(instance, hint.placed)
    required_bound = sum(1 for rid in servable if instance.request_by_id[rid].required)
    if required_target < required_bound and left() > 0.2:
        pm0 = PackingModel(instance, calendar, columns)
        pm0.model.maximize(pm0.required_served)
        pm0.hint(chosen)
        solver0, status0 = run(pm0, time_limit=0.25 * left(), workers=workers, seed=seed, stop_at=float(required_bound))
        if status0 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            found0 = round(solver0.objective_value)
            if found0 > required_target:
                required_target = found0
                chosen = {i for i, var in enumerate(pm0.take) if solver0.boolean_value(var)}
                served = sum(columns[i].weight for i in chosen)
            if status0 == cp_model.OPTIMAL and exact():
                required_bound = required_target
    if required_target < required_bound and left() > 0.3:
        # The time-aware relaxation over the required requests' pairs alone, each counting 1:
        # it sees pinned coachees competing for one coach's hours, days and weeks.
        required_pairs = [p for p in pairs if p.request.required]
        if sum(calendar_slots.get((p.request.id, p.coach.id), 0) for p in required_pairs) <= CHAIN_LP_SLOTS:
            tier0_lp = ChainLP(instance, calendar, required_pairs, worth=lambda r: 1)
            tier0 = tier0_lp.run(time.perf_counter() + 0.2 * left(), [], stop_at=required_target)
            required_bound = min(required_bound, tier0.bound)
    tier0_proven = required_target >= required_bound

    proven_at: float | None = None
    phase1_began = time.perf_counter()
    extra, per_pair = EXTRA_COACHES, CHAINS_PER_PAIR
    pm: PackingModel | None = None
    target_model: tuple[PackingModel, list[int]] | None = None  # the model that reached the target
    target_status = cp_model.UNKNOWN  # CP-SAT's status in the last target round

    def target_round(target: int, time_limit: float) -> bool:
        """Look for a plan worth `target` among the columns that such a plan may use at all
        (`solver.bound.Pricing`: reduced-cost fixing at the pair LP's duals), with the
        requests it must serve and the rows it must nearly fill as constraints. A far
        smaller search than the whole model when the pair bound is tight (W2, W3). True
        when found: `served` and `chosen` are then that plan."""
        nonlocal served, chosen, target_model, cp_status, target_status
        target_status = cp_model.UNKNOWN
        if pricing is None:
            return False
        slack = pricing.lagrangian - target + 1e-6
        if slack < 0:
            return False
        keep_cols = [i for i, col in enumerate(columns) if pair_loss.get((col.request.id, col.coach.id), INF) <= slack]
        sub = PackingModel(instance, calendar, [columns[i] for i in keep_cols])
        of_request: dict[str, list[int]] = {}
        for j, col in enumerate(sub.columns):
            of_request.setdefault(col.request.id, []).append(j)
        for rid, value in pricing.value.items():
            if value > slack:
                if rid not in of_request:
                    target_status = cp_model.INFEASIBLE  # a request every such plan serves has no column here
                    return False
                sub.model.add(sum(sub.take[j] for j in of_request[rid]) == 1)
        of_owner: dict[str, list[int]] = {}  # coach id, and supervisor id for trainees' columns
        for j, col in enumerate(sub.columns):
            of_owner.setdefault(col.coach.id, []).append(j)
            if col.coach.level == "trainee" and col.coach.supervisor:
                of_owner.setdefault(col.coach.supervisor, []).append(j)
        for (kind, owner), y in pricing.duals.items():
            if y <= 1e-9:
                continue
            need = math.ceil(pricing.rhs.get((kind, owner), 0) - slack / y - 1e-9)
            terms = [(j, coefficient(kind, owner, sub.columns[j])) for j in of_owner.get(owner, ())]
            terms = [(j, a) for j, a in terms if a]
            if need > 0 and terms:
                sub.model.add(sum(a * sub.take[j] for j, a in terms) >= need)
        if required_target:
            sub.model.add(sub.required_served >= required_target)
        sub.model.maximize(sub.served_weight)
        sub.hint({j for j, i in enumerate(keep_cols) if i in chosen})
        # This model's own bound speaks only of plans worth the target: progress reports the LP's.
        solver_t, status_t = run(
            sub,
            time_limit=time_limit,
            workers=workers,
            seed=seed,
            on_improvement=lambda objective, _: report(objective, float(relaxed_bound)),
            stop_at=bound,
        )
        target_status = status_t
        if status_t not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return False
        found = round(solver_t.objective_value)
        if found > served:  # a valid plan either way
            served = found
            chosen = {keep_cols[j] for j, var in enumerate(sub.take) if solver_t.boolean_value(var)}
            cp_status = _STATUS_NAMES.get(status_t, "UNKNOWN")
            if served >= bound:
                target_model = (sub, keep_cols)
        if found < target and status_t == cp_model.OPTIMAL:
            target_status = cp_model.INFEASIBLE  # no plan worth the target over these columns
        return found >= target

    # Reduced-cost fixing for the target round: mid-size programmes (pricing is linear in the
    # pairs, but the target round's model is only small where the pairs are few).
    pricing = None
    if relaxation.duals and len(pairs) <= TARGET_PAIRS:
        pricing = price_pairs(instance, pairs, relaxation.duals, relaxation.rhs)
    pair_loss: dict[tuple[str, str], float] = {}
    if pricing is not None:
        pair_loss = {(p.request.id, p.coach.id): x for p, x in zip(pairs, pricing.loss.tolist(), strict=True)}
    if served >= bound:
        proven_at = time.perf_counter() - began  # a greedy plan (the guided one, on W1) meets the bound
    elif pricing is not None and served >= (1 - TARGET_GAP) * bound and left() - wrap_up > 0.5:
        timings["target_start"] = time.perf_counter() - began
        # The pair bound first; when the columns hold no plan worth it (CP-SAT proves that in a
        # fraction of a second), targets a little lower: the fixing then keeps a few more pairs
        # and asks less of the rows, and a plan found is a far better start for the rounds
        # (W3-DST seed 1: the optimum is a few points below the pair bound).
        for share in TARGET_STEPS:
            target = bound - math.ceil(share * bound) if share else bound
            if target <= served or left() - wrap_up < 1.0:
                break
            found_target = target_round(target, (TARGET_SHARE if not share else 0.3) * (left() - wrap_up))
            if found_target or target_status != cp_model.INFEASIBLE:
                break
        if served >= bound:
            proven_at = time.perf_counter() - began
        timings["target_end"] = time.perf_counter() - began
    while proven_at is None and left() - wrap_up > 0.2:
        pm = PackingModel(instance, calendar, columns)
        if required_target:
            pm.model.add(pm.required_served >= required_target)
        pm.model.maximize(pm.served_weight)
        pm.hint(chosen)
        # While the time-aware bound is still to come (an exact model needs none), a round gets
        # a slice of the time.
        slice_ = min(left() * 0.85, left() - wrap_up)
        if chain_relaxation is None and scan_slots <= CHAIN_LP_SLOTS and not exact():
            slice_ = min(slice_, max(0.3, 0.05 * time_limit))
        solver, status = run(
            pm,
            time_limit=slice_,
            workers=workers,
            seed=seed,
            on_improvement=report,
            stop_at=bound,
        )
        cp_status = _STATUS_NAMES.get(status, "UNKNOWN")
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            found = round(solver.objective_value)
            bound = valid_bound(solver.best_objective_bound)
            if found >= served:
                served = found
                chosen = {i for i, var in enumerate(pm.take) if solver.boolean_value(var)}
        if served >= bound or (status == cp_model.OPTIMAL and exact()):
            bound = served
            proven_at = time.perf_counter() - began
            break
        # Not proven yet: a bound that sees time may close the gap, and the chains of its LP
        # may fill it; then go again with what is left.
        if not exact() and tighten_with_time():
            bound = min(bound, relaxed_bound)
            if served >= bound:
                bound = served
                proven_at = time.perf_counter() - began
                break
            continue
        if status != cp_model.OPTIMAL or exact():
            break  # out of time
        extra, per_pair = extra + 2, per_pair + per_pair // 2
        size = len(columns)
        widen(extra, per_pair)
        if len(columns) == size:
            break
    phase1_seconds = time.perf_counter() - phase1_began
    timings["tier1"] = phase1_seconds

    if proven_at is not None and left() > 0.1:
        # Phase 2: tier 1 fixed at its proven optimum, tiers 2-5 maximised, for at most half
        # as long again as tier 1 took (a quarter second at least). After the target round,
        # over its columns: every plan worth the optimum is among them (reduced-cost fixing),
        # and the whole model found none in a second on W3.
        if target_model is None and pm is None:  # proven by a greedy plan: no model yet
            pm = PackingModel(instance, calendar, columns)
        final, index = (pm, list(range(len(columns)))) if target_model is None else target_model
        assert final is not None
        final.model.add(final.served_weight == served)
        final.model.maximize(final.secondary)
        final.hint({j for j, i in enumerate(index) if i in chosen})
        # (and a third of the time to the proof: a model's presolve alone takes 0.2 s on W2)
        phase2_time = min(max(0.05, left() - wrap_up), max(0.25, 0.5 * phase1_seconds, 0.3 * proven_at))
        solver2, status2 = run(final, time_limit=phase2_time, workers=workers, seed=seed)
        if status2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            chosen = {index[j] for j, var in enumerate(final.take) if solver2.boolean_value(var)}
    elif pm is not None and left() - wrap_up > 0.3:
        # Tier 1 unproven: the last stretch keeps served weight at least as found and
        # improves tiers 2-5 (served weight may still rise on the way).
        pm.model.add(pm.served_weight >= served)
        pm.model.maximize(pm.secondary)
        pm.hint(chosen)
        solver2, status2 = run(pm, time_limit=0.9 * (left() - wrap_up), workers=workers, seed=seed)
        if status2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            chosen = {i for i, var in enumerate(pm.take) if solver2.boolean_value(var)}
            served = sum(columns[i].weight for i in chosen)
    bound = max(bound, served)  # guards rounding only; both are integers in practice
    report(float(served), float(bound))

    assignments: list[Assignment] = [
        chain_to_assignment(instance, calendar, columns[i].request, columns[i].coach, columns[i].chain)
        for i in sorted(chosen)
    ]
    return Solution(
        status="OPTIMAL" if served == bound and tier0_proven else "FEASIBLE",
        served_weight=served,
        served_weight_bound=bound,
        required_served=sum(1 for i in chosen if columns[i].request.required) if instance.has_required else None,
        assignments=tuple(sorted(assignments, key=lambda a: a.request)),
        unassigned=tuple(unassigned_reasons(instance, calendar, assignments, pair_facts)),
        stats={
            "wall_seconds": round(time.perf_counter() - began, 3),
            "solver": "cp-sat",
            "workers": workers,
            "cp_sat_status": cp_status,
            "columns": len(columns),
            "all_chains": exact(),
            "greedy_served_weight": _served(instance, fcfs),
            "tier1_proven_seconds": None if proven_at is None else round(proven_at, 3),
            "seconds": {k: round(v, 3) for k, v in timings.items()},
        },
    )
