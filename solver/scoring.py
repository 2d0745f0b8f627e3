"""Tiers 2-5 of the objective: the terms shown in each assignment's `score`.

Tier 1 (served weight) is exact and handled by the search (`solver.search`). The
lower tiers are folded into one integer per engagement, `secondary_points`, with
weights that keep the tier order *within one engagement*: one unit of a higher
tier is worth more than the most all lower tiers together can give it.

- tier 2, match quality: shared topics (at most 5 count), the coachee's first
  language, a preferred coach;
- tier 3, stability: the same coach as in `current` (`kept` 0.5), and the same
  session times too (`kept` 1);
- tier 4, earliness: how soon the first session is, 1 = at the earliest
  possible moment, 0 = at the end of the horizon;
- tier 5, fairness: the share of the coach's capacity still free before this
  solve, so that load spreads in proportion to capacity.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from solver.calendar import Calendar, from_minutes, to_minutes
from solver.domain import Assignment, Coach, CoachingRequest, Instance, Session
from solver.engagements import Chain

# Points per tier and the weight of one point: each weight exceeds the most the
# lower tiers can add up to for one engagement (10; 11*100+10; 1111*2+1110).
TIER5_WEIGHT = 1  # fairness, 0..10 points
TIER4_WEIGHT = 11  # earliness, 0..100 points
TIER3_WEIGHT = 1111  # stability, 0..2 points
TIER2_WEIGHT = 3333  # match quality, 0..15 points


def match_terms(request: CoachingRequest, coach: Coach) -> dict[str, float]:
    return {
        "topics": float(len(set(request.topics) & set(coach.topics))),
        "language": 1.0 if request.languages and request.languages[0] in coach.languages else 0.0,
        "preferred_coach": 1.0 if coach.id in request.preferred_coaches else 0.0,
    }


def match_points(request: CoachingRequest, coach: Coach) -> int:
    t = match_terms(request, coach)
    return 2 * int(min(t["topics"], 5.0)) + 2 * int(t["language"]) + 3 * int(t["preferred_coach"])


def match_rank(request: CoachingRequest, coach: Coach) -> tuple[int, float]:
    """Sort key: best match first, then the coach with the most spare capacity."""
    return (-match_points(request, coach), -spare_capacity(coach))


def spare_capacity(coach: Coach) -> float:
    if coach.max_active_coachees <= 0:
        return 0.0
    return max(0.0, (coach.max_active_coachees - coach.active_coachees) / coach.max_active_coachees)


def kept(instance: Instance, request: CoachingRequest, coach: Coach, chain: Chain) -> float:
    current = instance.current_by_request.get(request.id)
    if current is None or current.coach != coach.id:
        return 0.0
    same_times = [to_minutes(s.start) for s in current.sessions] == [s.start for s in chain]
    return 1.0 if same_times else 0.5


def earliness(calendar: Calendar, chain: Chain) -> float:
    span = max(1, calendar.horizon_hi - calendar.earliest)
    return round(max(0.0, min(1.0, 1 - (chain[0].start - calendar.earliest) / span)), 3)


def score_terms(
    instance: Instance, calendar: Calendar, request: CoachingRequest, coach: Coach, chain: Chain
) -> dict[str, float]:
    terms = match_terms(request, coach)
    terms["kept"] = kept(instance, request, coach, chain)
    terms["earliness"] = earliness(calendar, chain)
    terms["fairness"] = round(spare_capacity(coach), 3)
    return terms


def secondary_points(
    instance: Instance, calendar: Calendar, request: CoachingRequest, coach: Coach, chain: Chain
) -> int:
    """Tiers 2-5 of one engagement as one integer (see the module docstring)."""
    tier3 = round(2 * kept(instance, request, coach, chain))
    tier4 = round(100 * earliness(calendar, chain))
    tier5 = round(10 * spare_capacity(coach))
    return (
        TIER2_WEIGHT * match_points(request, coach) + TIER3_WEIGHT * tier3 + TIER4_WEIGHT * tier4 + TIER5_WEIGHT * tier5
    )


def chain_to_assignment(
    instance: Instance, calendar: Calendar, request: CoachingRequest, coach: Coach, chain: Chain
) -> Assignment:
    return Assignment(
        request=request.id,
        coach=coach.id,
        sessions=tuple(Session(from_minutes(s.start), from_minutes(s.end)) for s in chain),
        score=score_terms(instance, calendar, request, coach, chain),
    )


class MatchOrder:
    """`sorted(coaches, key=lambda c: (match_rank(request, c), c.id))` for many requests, as arrays.

    The same order as the key (points, then spare capacity, then id), computed with one
    `np.lexsort` per request instead of a Python key per request-coach pair.
    """

    def __init__(self, coaches: Sequence[Coach]) -> None:
        self.coaches = list(coaches)
        self.position = {c.id: i for i, c in enumerate(self.coaches)}
        topics = sorted({t for c in self.coaches for t in c.topics})
        languages = sorted({lang for c in self.coaches for lang in c.languages})
        self.topic_index = {t: i for i, t in enumerate(topics)}
        self.language_index = {lang: i for i, lang in enumerate(languages)}
        n = len(self.coaches)
        self.has_topic = np.zeros((len(topics), n), dtype=np.int64)
        self.speaks = np.zeros((len(languages), n), dtype=np.int64)
        for i, c in enumerate(self.coaches):
            for t in set(c.topics):
                self.has_topic[self.topic_index[t], i] = 1
            for lang in set(c.languages):
                self.speaks[self.language_index[lang], i] = 1
        self.neg_spare = np.array([-spare_capacity(c) for c in self.coaches], dtype=np.float64)
        id_order = sorted(range(n), key=lambda i: self.coaches[i].id)
        self.id_rank = np.empty(n, dtype=np.int64)
        self.id_rank[id_order] = np.arange(n, dtype=np.int64)

    def points(self, request: CoachingRequest) -> npt.NDArray[np.int64]:
        """`match_points(request, c)` for every coach."""
        shared = np.zeros(len(self.coaches), dtype=np.int64)
        for t in set(request.topics):
            if t in self.topic_index:
                shared += self.has_topic[self.topic_index[t]]
        out = 2 * np.minimum(shared, 5)
        if request.languages and request.languages[0] in self.language_index:
            out += 2 * self.speaks[self.language_index[request.languages[0]]]
        for cid in set(request.preferred_coaches):
            if cid in self.position:
                out[self.position[cid]] += 3
        return out

    def sort(self, request: CoachingRequest, coaches: Sequence[Coach]) -> list[Coach]:
        """`coaches` (each one of this order's) best match first, ties by spare capacity, then id."""
        if len(coaches) < 2:
            return list(coaches)
        idx = np.array([self.position[c.id] for c in coaches], dtype=np.int64)
        neg_points = -self.points(request)[idx]
        order = np.lexsort((self.id_rank[idx], self.neg_spare[idx], neg_points))
        return [coaches[i] for i in order.tolist()]

    def sort_positions(self, request: CoachingRequest, idx: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Coach positions `idx` in the order of `sort`."""
        if len(idx) < 2:
            return idx
        order = np.lexsort((self.id_rank[idx], self.neg_spare[idx], -self.points(request)[idx]))
        result: npt.NDArray[np.int64] = idx[order]
        return result
