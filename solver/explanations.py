"""Why a plan looks the way it does, in words a programme manager can act on.

Every reason for an unserved request is a `Reason`: a code, the parameters it speaks of
(coach refs, ISO dates, weekdays, "HH:MM" times, caps) and an English sentence that
names what blocks the request and what would make it servable. The sentences carry no
rule numbers and no field names of the file format; the only ids in them are coach refs
(an app replaces them by names, or words the reason itself from code and parameters).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from solver.baseline import Booking
from solver.calendar import Calendar, Slot, day_of, from_minutes, iso_week_key, to_minutes
from solver.codec import InstanceError, assignment_to_json
from solver.domain import (
    WEEKDAYS,
    Assignment,
    Coach,
    CoachingRequest,
    Instance,
    Reason,
    Solution,
    Unassigned,
    clock,
    clock_minutes,
)
from solver.engagements import Chain, ChainFinder, StaticRules, static_blocks

DAY_NAMES = dict(
    zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True)
)
_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_SHOWN = 8  # coaches named in one sentence before "and N more"


def time_limit_reason() -> Reason:
    return Reason(
        "time_limit",
        "the solve ended before this request's coaches were looked at; solving again with more time would place "
        "it or tell why not",
    )


TIME_LIMIT_REASON = time_limit_reason().text


# ---------------------------------------------------------------- words


def number(n: int) -> str:
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{number(n)} {word if n == 1 else (many or word + 's')}"


def names(ids: list[str]) -> str:
    """`c1`, `c1 and c2`, `c1, c2 and c3`, `c1, ..., c8 and 4 more`."""
    shown = ids[:_SHOWN]
    rest = len(ids) - len(shown)
    if rest:
        return ", ".join(shown) + f" and {rest} more"
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + f" and {shown[-1]}"


def _verb(ids: list[str], one: str, many: str) -> str:
    return one if len(ids) == 1 else many


def long_date(day: date) -> str:
    return f"{day.day} {day.strftime('%B')} {day.year}"


def _between(first: date, last: date) -> str:
    return f"on {long_date(first)}" if first == last else f"between {long_date(first)} and {long_date(last)}"


def pattern_text(pattern: Mapping[str, tuple[tuple[int, int], ...]]) -> str:
    """`Mondays to Fridays 09:00-17:00, Saturdays 10:00-12:00 and 14:00-16:00` (or `no times at all`):
    consecutive days with the same hours are told once."""
    runs: list[tuple[list[str], tuple[tuple[int, int], ...]]] = []
    for day in WEEKDAYS:
        intervals = tuple(pattern.get(day, ()))
        if not intervals:
            continue
        if runs and runs[-1][1] == intervals and WEEKDAYS.index(runs[-1][0][-1]) == WEEKDAYS.index(day) - 1:
            runs[-1][0].append(day)
        else:
            runs.append(([day], intervals))
    parts = []
    for days, intervals in runs:
        spans = [f"{clock(a)}-{clock(b)}" for a, b in intervals]
        joined = spans[0] if len(spans) == 1 else ", ".join(spans[:-1]) + f" and {spans[-1]}"
        first, last = f"{DAY_NAMES[days[0]]}s", f"{DAY_NAMES[days[-1]]}s"
        when = first if len(days) == 1 else f"{first} and {last}" if len(days) == 2 else f"{first} to {last}"
        parts.append(f"{when} {joined}")
    return ", ".join(parts) if parts else "no times at all"


def pattern_params(pattern: Mapping[str, tuple[tuple[int, int], ...]]) -> dict[str, list[list[str]]]:
    return {d: [[clock(a), clock(b)] for a, b in pattern[d]] for d in WEEKDAYS if pattern.get(d)}


# ---------------------------------------------------------------- static rules


def static_reason(instance: Instance, request: CoachingRequest, code: str, ids: list[str]) -> Reason:
    """One static rule that rules out the coaches `ids`, with what would lift it."""
    who = names(ids)
    they = _verb(ids, "this coach", "these coaches")
    params: dict[str, object] = {"coaches": ids}
    if code == "language":
        params["languages"] = list(request.languages)
        text = (
            f"{who} {_verb(ids, 'speaks', 'speak')} none of the coachee's languages "
            f"({', '.join(request.languages)}); a coach who speaks one of them could take it"
        )
    elif code == "organisation":
        params["organisation"] = request.organisation
        text = (
            f"{who} {_verb(ids, 'works', 'work')} for the coachee's own organisation ({request.organisation}); "
            "a coach from another organisation could take it"
        )
    elif code == "excluded_coach":
        text = f"the coachee asked not to be coached by {who}; lifting that would let {they} take it"
    elif code == "excluded_request":
        text = f"{who} asked not to coach this coachee; lifting that would let {they} take it"
    elif code == "pinned":
        lift = "unpinning it would let the other coaches be considered"
        params = {"coach": request.pinned_coach, "coaches": ids}
        if request.required:  # a supervisor's "place this one": who else could take it
            free = dataclasses.replace(request, pinned_coach=None)
            calendar = Calendar(instance)
            others = [
                c.id
                for c in instance.coaches
                if c.id in ids
                and not static_blocks(instance, free, c)
                and isinstance(pair_fact(calendar, free, c), tuple)
            ]
            params["others"] = others
            lift = (
                f"unpinning it would let {names(others)} take it"
                if others
                else "no other coach could take it either, so unpinning alone would not help"
            )
        text = f"the request is pinned to {request.pinned_coach}, so no other coach is considered; {lift}"
    elif code == "sensitive":
        text = (
            f"{who} {_verb(ids, 'is', 'are')} in training and the request is sensitive; an accredited or senior "
            "coach could take it"
        )
    elif code == "coach_full":
        text = (
            f"{who} already {_verb(ids, 'has', 'have')} as many coachees as they take at once; a higher limit of "
            "coachees would make room"
        )
    elif code == "supervisor_full":
        text = (
            f"{who} {_verb(ids, 'is', 'are')} in training and their supervisor has no room for another trainee "
            "engagement; a higher trainee limit for the supervisor would make room"
        )
    else:  # pragma: no cover - every code of `static_blocks` is worded above
        raise ValueError(code)
    return Reason(code, text, params)


# ---------------------------------------------------------------- the calendar


# What the calendar says about a pair that keeps the static rules: "no_time" (no common
# slot), "no_chain" (slots, but the gap rules fit no engagement), or the first and last
# coachee-local dates of its slots.
PairFact = str | tuple[int, int]


def pair_fact(calendar: Calendar, request: CoachingRequest, coach: Coach) -> PairFact:
    times = calendar.pair_times(request, coach)
    if not len(times):
        return "no_time"
    finder = ChainFinder(request, coach, times)
    can = finder.completable()[request.sessions]
    if not any(can[i] for i in finder.starts):
        return "no_chain"
    return int(times.coachee_day.min()), int(times.coachee_day.max())


@dataclass
class RequestFacts:
    """What the calendar says about one request's coaches that keep the static rules.

    Kept per request, not per pair, so that a search over millions of pairs can hand
    it over cheaply.
    """

    no_time: list[str] = field(default_factory=list)
    no_chain: list[str] = field(default_factory=list)
    eligible: list[str] = field(default_factory=list)
    first_day: int | None = None  # over the eligible coaches' slots
    last_day: int | None = None

    def add(self, coach_id: str, fact: PairFact) -> None:
        if fact == "no_time":
            self.no_time.append(coach_id)
        elif fact == "no_chain":
            self.no_chain.append(coach_id)
        elif isinstance(fact, tuple):
            self.eligible.append(coach_id)
            self.first_day = fact[0] if self.first_day is None else min(self.first_day, fact[0])
            self.last_day = fact[1] if self.last_day is None else max(self.last_day, fact[1])


def _first_possible_date(instance: Instance, calendar: Calendar, request: CoachingRequest) -> date:
    notice = from_minutes(calendar.earliest).astimezone(ZoneInfo(request.timezone)).date()
    return max(request.earliest_start, instance.horizon_start, notice)


def _no_time_reasons(instance: Instance, calendar: Calendar, request: CoachingRequest, ids: list[str]) -> list[Reason]:
    first = _first_possible_date(instance, calendar, request)
    base = {
        "from": first.isoformat(),
        "until": instance.horizon_end.isoformat(),
        "windows": pattern_params(request.windows),
        "coachee_timezone": request.timezone,
    }
    detailed = [cid for cid in ids if cid == request.pinned_coach or len(ids) <= 2]
    params: list[dict[str, object]] = [
        {
            **base,
            "coaches": [cid],
            "availability": pattern_params(instance.coach_by_id[cid].weekly),
            "coach_timezone": instance.coach_by_id[cid].timezone,
        }
        for cid in detailed
    ]
    rest = [cid for cid in ids if cid not in detailed]
    if rest:
        params.append({**base, "coaches": rest})
    return [Reason("no_common_time", _no_common_time_text(p), p) for p in params]


# ---------------------------------------------------------------- for a reader elsewhere


def _pattern_in(
    pattern: Mapping[str, list[list[str]]], source: str, reader: str, week_of: date
) -> dict[str, tuple[tuple[int, int], ...]]:
    """A weekly pattern ("HH:MM" times in `source`) as it falls in `reader`'s zone in the week
    from `week_of` on: an interval crossing the reader's midnight is split in two."""
    src, dst = ZoneInfo(source), ZoneInfo(reader)
    moved: dict[str, list[tuple[int, int]]] = {}
    for offset in range(7):
        day = week_of + dt.timedelta(days=offset)
        for start, end in pattern.get(WEEKDAYS[day.weekday()], []):
            midnight = dt.datetime.combine(day, dt.time(), src)
            begin = (midnight + dt.timedelta(minutes=clock_minutes(start))).astimezone(dst)
            finish = (midnight + dt.timedelta(minutes=clock_minutes(end))).astimezone(dst)
            while begin < finish:
                next_midnight = dt.datetime.combine(begin.date() + dt.timedelta(days=1), dt.time(), dst)
                stop = min(finish, next_midnight)
                into = begin.hour * 60 + begin.minute
                moved.setdefault(WEEKDAYS[begin.weekday()], []).append(
                    (into, into + round((stop - begin).total_seconds() / 60))
                )
                begin = stop
    return {d: tuple(_merged(sorted(v))) for d, v in moved.items()}


def _merged(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in intervals:
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _weekly(params: Mapping[str, Any], key: str, zone_key: str, reader: str | None) -> tuple[str, str]:
    """The weekly times under `key` in words, and the zone they are in: the reader's when one
    is given, else their owner's."""
    pattern, zone = params.get(key) or {}, str(params[zone_key])
    if reader is None:
        own = {d: tuple((clock_minutes(a), clock_minutes(b)) for a, b in spans) for d, spans in pattern.items()}
        return pattern_text(own), zone
    return pattern_text(_pattern_in(pattern, zone, reader, date.fromisoformat(params["from"]))), reader


def _no_common_time_text(params: Mapping[str, Any], reader: str | None = None) -> str:
    ids = list(params["coaches"])
    first, last = date.fromisoformat(params["from"]), date.fromisoformat(params["until"])
    span = _between(first, last) if first <= last else "in the horizon"
    windows, coachee_zone = _weekly(params, "windows", "coachee_timezone", reader)
    if "availability" in params:
        cid = ids[0]
        hours, coach_zone = _weekly(params, "availability", "coach_timezone", reader)
        zones = f" (both in {reader} time)" if reader is not None else ""
        coach_part = f"{hours} ({coach_zone})" if reader is None else hours
        coachee_part = f"{windows} ({coachee_zone})" if reader is None else windows
        return (
            f"{cid} is available {coach_part} and the coachee can meet {coachee_part}{zones}: these never meet "
            f"{span}, with enough notice; more hours from {cid} or wider times from the coachee would help"
        )
    return (
        f"{names(ids)} {_verb(ids, 'is', 'are')} never available in the coachee's times ({windows}, "
        f"{coachee_zone if reader is None else reader + ' time'}) {span}, with enough notice; more hours from "
        f"{_verb(ids, 'this coach', 'them')} or wider times from the coachee would help"
    )


def for_reader(reason: Reason, timezone: str) -> Reason:
    """`reason` worded for a reader in `timezone`: weekly times and instants in that zone.

    Reasons that speak of no time of day read the same everywhere and come back unchanged.
    """
    params = reason.params
    try:
        if reason.code == "no_common_time":
            return Reason(reason.code, _no_common_time_text(params, timezone), params)
        if reason.code in ("coach_full_until", "supervisor_full_until"):
            moment = dt.datetime.fromisoformat(str(params["until"])).astimezone(ZoneInfo(timezone))
            when = f"{long_date(moment.date())} at {moment:%H:%M} ({timezone})"
            return Reason(reason.code, _full_until_text(reason.code, params, when), params)
    except (KeyError, TypeError, ValueError):
        return reason  # stored by an older version without these parameters: its own words
    return reason


def _spacing(request: CoachingRequest) -> str:
    if request.sessions == 1:
        return "one session"
    lo, hi = request.min_gap_days, request.max_gap_days
    apart = f"{lo} to {hi} days apart"
    if lo == hi:
        apart = "on the same day" if lo == 0 else f"{plural(lo, 'day')} apart"
    return f"{plural(request.sessions, 'session')} {apart}"


def _no_chain_reason(request: CoachingRequest, ids: list[str]) -> Reason:
    return Reason(
        "sessions_do_not_fit",
        f"the coachee shares some times with {names(ids)}, but not enough for {_spacing(request)}; more shared "
        "times, fewer sessions or a wider spacing would help",
        {
            "coaches": ids,
            "sessions": request.sessions,
            "min_gap_days": request.min_gap_days,
            "max_gap_days": request.max_gap_days,
        },
    )


def _capacity_reason(ids: list[str], first_day: int, last_day: int) -> Reason:
    first, last = day_of(first_day), day_of(last_day)
    if len(ids) == 1:
        who = f"the one coach who could take it, {ids[0]}, has"
    elif len(ids) == 2:
        who = f"both coaches who could take it, {names(ids)}, have"
    else:
        who = f"all {len(ids)} coaches who could take it ({names(ids)}) have"
    return Reason(
        "no_room",
        f"{who} no room left in the coachee's times {_between(first, last)}; more hours "
        "or higher limits for them, or another coach, would make room",
        {"coaches": ids, "from": first.isoformat(), "until": last.isoformat()},
    )


def request_details(
    instance: Instance,
    calendar: Calendar,
    request: CoachingRequest,
    facts: RequestFacts | None = None,
    rules: StaticRules | None = None,
) -> list[Reason]:
    """Why `request` is not served: what rules out each coach, else the competition for room.

    `facts` spares recomputing what a search already found out; `rules` (with `facts`)
    finds the blocking rules for all coaches at once.
    """
    if not instance.coaches:
        return [Reason("no_coaches", "the programme has no coaches yet; adding coaches would help")]
    by_code: dict[str, list[str]] = {}
    found = RequestFacts()
    if facts is not None and rules is not None:
        by_code = rules.blocked_by(request)
    else:
        for coach in instance.coaches:
            blocks = static_blocks(instance, request, coach)
            for block in blocks:
                by_code.setdefault(block.rule, []).append(coach.id)
            if not blocks and facts is None:
                found.add(coach.id, pair_fact(calendar, request, coach))
    if facts is not None:
        found = facts
    pinned = request.pinned_coach
    # A pinned request: what blocks its coach comes first, then the pin itself.
    ordered = sorted(by_code.items(), key=lambda item: (item[0] == "pinned", pinned not in item[1]))
    reasons = [static_reason(instance, request, code, ids) for code, ids in ordered]
    if found.no_time:
        reasons.extend(_no_time_reasons(instance, calendar, request, found.no_time))
    if found.no_chain:
        reasons.append(_no_chain_reason(request, found.no_chain))
    if found.eligible and found.first_day is not None and found.last_day is not None:
        reasons.append(_capacity_reason(found.eligible, found.first_day, found.last_day))
    if pinned is not None:  # the pinned coach's own lines first: they are what a supervisor acts on
        reasons.sort(key=lambda r: 0 if pinned in _coaches_of(r) and r.code != "pinned" else 1)
    return reasons


def _coaches_of(reason: Reason) -> list[str]:
    coaches = reason.params.get("coaches", [])
    return list(coaches) if isinstance(coaches, list) else []


def unassigned_reasons(
    instance: Instance,
    calendar: Calendar,
    assignments: Iterable[Assignment],
    facts: Mapping[str, RequestFacts] | None = None,
) -> list[Unassigned]:
    assignments = list(assignments)
    served = {a.request for a in assignments}
    out: list[Unassigned] = []
    rules = StaticRules(instance) if facts is not None and instance.coaches else None
    plan: list[Booking] = []
    for r in instance.requests:
        if r.id in served:
            continue
        if facts is not None and r.id not in facts:
            details = [time_limit_reason()]
        else:
            details = request_details(instance, calendar, r, None if facts is None else facts[r.id], rules)
            if r.required and details and details[-1].code == "no_room":
                # A required request left out: say what in the plan blocks it with each coach.
                if not plan:
                    plan.append(booked_plan(instance, calendar, assignments))
                details[-1:] = capacity_details(instance, calendar, plan[0], r, details[-1])
        out.append(Unassigned(r.id, tuple(d.text for d in details), tuple(details)))
    return out


# ---------------------------------------------------------------- what the plan leaves


def _as_chain(calendar: Calendar, request: CoachingRequest, coach: Coach, a: Assignment) -> Chain:
    clock_coach, clock_coachee = calendar.clock(coach.timezone), calendar.clock(request.timezone)
    chain = []
    for session in a.sessions:
        start, end = to_minutes(session.start), to_minutes(session.end)
        coach_day = clock_coach.local(start) // 1440
        chain.append(Slot(start, end, coach_day, iso_week_key(coach_day), clock_coachee.local(start) // 1440))
    return tuple(chain)


def booked_plan(instance: Instance, calendar: Calendar, assignments: Iterable[Assignment]) -> Booking:
    """The plan's engagements booked in order, to ask what each coach still has room for."""
    plan = Booking(instance, calendar)
    for a in assignments:
        request, coach = instance.request_by_id.get(a.request), instance.coach_by_id.get(a.coach)
        if request is not None and coach is not None:
            plan.take(request, coach, _as_chain(calendar, request, coach, a))
    return plan


def _local_date(calendar: Calendar, minute: int, timezone: str) -> date:
    return day_of(calendar.clock(timezone).local(minute) // 1440)


def _full_until_reason(
    calendar: Calendar, request: CoachingRequest, coach: Coach, who: str, at: int, end: int
) -> Reason:
    code = "coach_full_until" if who == "coach" else "supervisor_full_until"
    params = {"coaches": [coach.id], "engagements": at, "until": from_minutes(end).isoformat()}
    return Reason(code, _full_until_text(code, params, long_date(_local_date(calendar, end, request.timezone))), params)


def _full_until_text(code: str, params: Mapping[str, Any], when: str) -> str:
    """`when`: the day (and time, for a reader in a named zone) the stretch at the cap ends."""
    coach, at = params["coaches"][0], int(params["engagements"])
    if code == "coach_full_until":
        return (
            f"{coach} is at {plural(at, 'coachee')} at once until {when}; free from then, so a start after that, "
            "or a higher limit of coachees, would fit"
        )
    return (
        f"the supervisor of {coach} is at {plural(at, 'trainee engagement')} at once until {when}; free from "
        "then, so a start after that, or a higher trainee limit for the supervisor, would fit"
    )


def capacity_details(
    instance: Instance, calendar: Calendar, plan: Booking, request: CoachingRequest, headline: Reason
) -> list[Reason]:
    """For each coach who could take `request`, what in the plan keeps them from it.

    `headline` is the "no room" reason of `request_details`, kept when no coach has room.
    """
    engaged, supervised, busy, free = [], [], [], []
    until: list[Reason] = []
    for coach in instance.coaches:
        if static_blocks(instance, request, coach):
            continue
        fact = pair_fact(calendar, request, coach)
        if not isinstance(fact, tuple):
            continue
        if plan.find(request, coach, checked=True) is not None:
            free.append(coach.id)
            continue
        if instance.capacity_over_time:
            full = plan.full_until(coach)
            # Full only before the coachee's first possible date is not what blocks it.
            if full is not None and _local_date(calendar, full[2], request.timezone) > day_of(fact[0]):
                until.append(_full_until_reason(calendar, request, coach, *full))
                continue
            busy.append(coach.id)
        elif plan.books[coach.id].engagements >= coach.max_active_coachees:
            engaged.append(coach.id)
        elif not plan.coach_can_engage(coach):
            supervised.append(coach.id)
        else:
            busy.append(coach.id)
    out = [] if free else [headline]
    if engaged:
        out.append(
            Reason(
                "coach_full",
                f"{names(engaged)} {_verb(engaged, 'has', 'have')} as many coachees as they take with this plan; "
                "a higher limit of coachees would make room",
                {"coaches": engaged},
            )
        )
    out.extend(until)
    if supervised:
        out.append(
            Reason(
                "supervisor_full",
                f"the supervisor of {names(supervised)} has no room for another trainee engagement with this plan; "
                "a higher trainee limit for the supervisor would make room",
                {"coaches": supervised},
            )
        )
    if busy:
        out.append(
            Reason(
                "no_free_time",
                f"{names(busy)} {_verb(busy, 'has', 'have')} no free time left in the coachee's times for "
                f"{_spacing(request)} with this plan (sessions per day or week, breaks between sessions or "
                "supervision hours are used up); more hours or higher limits would make room",
                {"coaches": busy, "sessions": request.sessions},
            )
        )
    if free:
        out.append(
            Reason(
                "could_take_it",
                f"{names(free)} could still take it: the solve stopped before finding that, or kept a plan serving "
                "more weight; solving again with more time may place it",
                {"coaches": free},
            )
        )
    return out


# ---------------------------------------------------------------- explain


def _assignment_reasons(instance: Instance, assignment: Assignment) -> list[str]:
    request = instance.request_by_id.get(assignment.request)
    coach = instance.coach_by_id.get(assignment.coach)
    if request is None or coach is None:
        return ["unknown request or coach"]
    out: list[str] = []
    shared = sorted(set(request.topics) & set(coach.topics))
    out.append(f"shares topics {', '.join(shared)}" if shared else "shares no topic")
    spoken = [lang for lang in request.languages if lang in coach.languages]
    if spoken:
        first = " (the coachee's first choice)" if spoken[0] == request.languages[0] else ""
        out.append(f"speaks {spoken[0]}{first}")
    if coach.id in request.preferred_coaches:
        out.append("a coach the coachee asked for")
    current = instance.current_by_request.get(request.id)
    if current is not None:
        if current.coach != coach.id:
            out.append(f"moved from {current.coach} in the current plan")
        elif [s.start for s in current.sessions] == [s.start for s in assignment.sessions]:
            out.append("unchanged from the current plan")
        else:
            out.append("same coach as the current plan, new times")
    return out


def reason_to_json(reason: Reason) -> dict[str, Any]:
    return {"code": reason.code, "text": reason.text, "params": dict(reason.params)}


def explain(
    instance: Instance, solution: Solution, request_id: str | None = None
) -> dict[str, Any] | list[dict[str, Any]]:
    """Per request: the score breakdown and reasons if assigned; if not, the reasons, each
    also with its code and parameters under `details`."""
    calendar = Calendar(instance)
    by_request = {a.request: a for a in solution.assignments}
    cache: list[Booking] = []

    def one(request: CoachingRequest) -> dict[str, Any]:
        weight = instance.weight(request)
        assignment = by_request.get(request.id)
        if assignment is not None:
            entry = assignment_to_json(assignment)
            entry.update({"assigned": True, "weight": weight, "reasons": _assignment_reasons(instance, assignment)})
            return entry
        details = request_details(instance, calendar, request)
        if details and details[-1].code == "no_room":
            if not cache:
                cache.append(booked_plan(instance, calendar, solution.assignments))
            details[-1:] = capacity_details(instance, calendar, cache[0], request, details[-1])
        return {
            "request": request.id,
            "assigned": False,
            "weight": weight,
            "reasons": [d.text for d in details],
            "details": [reason_to_json(d) for d in details],
        }

    if request_id is not None:
        request = instance.request_by_id.get(request_id)
        if request is None:
            raise InstanceError([f"request {request_id!r}: not in the instance"])
        return one(request)
    return [one(r) for r in instance.requests]
