"""JSON <-> dataclasses for `supervision-instance/1` and `supervision-plan/1`.

Uses the coaching codec's reader, so problems read the same way: every problem at once,
one line each, naming the field path (`coaches[2].sessions[0].end: ...`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import UTC
from typing import Any, TypeVar

from solver.codec import _MISSING, InstanceError, SolutionError, _override, _Reader, _show
from solver.domain import STATUSES, AvailabilityOverride
from solver.supervision.domain import (
    INSTANCE_FORMAT,
    PLAN_FORMAT,
    Calendar,
    LeftOut,
    SupervisedCoach,
    SupervisionInstance,
    SupervisionPlan,
    SupervisionSession,
    TimeSpan,
)

T = TypeVar("T")


def _format(top: Mapping[str, Any], expected: str, error: type[InstanceError]) -> None:
    fmt = top.get("format", _MISSING)
    if fmt is _MISSING:
        raise error([f'format: missing field (expected "{expected}")'])
    if fmt != expected:
        raise error([f'format: unknown format {_show(fmt)} (expected "{expected}")'])


def document(data: Any, expected: str, error: type[InstanceError]) -> tuple[_Reader, Mapping[str, Any]]:
    """The reader and top object of a planner's document of format `expected`, or `error`."""
    rd = _Reader()
    top = rd.obj(data, "")
    if top is None:
        raise error(rd.problems)
    _format(top, expected, error)
    return rd, top


def unique(
    rd: _Reader, items: Sequence[T] | None, path: str, key: Callable[[T], Hashable], message: Callable[[Any], str]
) -> None:
    """A problem at `path` (with the item's index for `{}`) for each item whose key an earlier one has."""
    seen: set[Hashable] = set()
    for i, item in enumerate(items or ()):
        k = key(item)
        if k in seen:
            rd.problem(path.format(i), message(k))
        seen.add(k)


def duplicate_id(value: str) -> str:
    return f"duplicate id {value!r}"


def left_out_entry(rd: _Reader, o: Mapping[str, Any], p: str, who: str) -> tuple[str, tuple[str, ...]] | None:
    """One entry of a plan's `left_out`: the person (under the key `who`) and the reasons."""
    person = rd.string(rd.field(o, who, p), f"{p}.{who}")
    reasons = rd.strings(rd.field(o, "reasons", p, []), f"{p}.reasons")
    return None if person is None or reasons is None else (person, reasons)


def _span(rd: _Reader, o: Mapping[str, Any], p: str) -> TimeSpan | None:
    start = rd.instant(rd.field(o, "start", p), f"{p}.start")
    end = rd.instant(rd.field(o, "end", p), f"{p}.end")
    if start is None or end is None:
        return None
    if end <= start:
        rd.problem(p, f"end {o['end']} is not after start {o['start']}")
        return None
    return TimeSpan(start, end)


def _calendar(rd: _Reader, o: Mapping[str, Any], p: str) -> Calendar | None:
    n = len(rd.problems)
    tz = rd.timezone(rd.field(o, "timezone", p), f"{p}.timezone")
    weekly = rd.weekly(rd.field(o, "weekly", p), f"{p}.weekly")
    overrides = rd.items(rd.field(o, "overrides", p, []), f"{p}.overrides", lambda oo, pp: _override(rd, oo, pp))
    busy = rd.items(rd.field(o, "busy", p, []), f"{p}.busy", lambda oo, pp: _span(rd, oo, pp))
    unique(rd, overrides, p + ".overrides[{}].date", lambda ov: ov.date, lambda day: f"second override for {day}")
    if len(rd.problems) > n:
        return None
    assert tz and weekly is not None and overrides is not None and busy is not None
    return Calendar(tz, weekly, tuple[AvailabilityOverride, ...](overrides), tuple(busy))


def _coach(rd: _Reader, o: Mapping[str, Any], p: str) -> SupervisedCoach | None:
    n = len(rd.problems)
    cid = rd.string(rd.field(o, "id", p), f"{p}.id")
    calendar = _calendar(rd, o, p)
    max_hours = rd.number(rd.field(o, "max_hours", p), f"{p}.max_hours", 0)
    held = rd.number(rd.field(o, "held_hours", p, 0.0), f"{p}.held_hours", 0)
    sessions = rd.items(rd.field(o, "sessions", p, []), f"{p}.sessions", lambda oo, pp: _span(rd, oo, pp))
    if len(rd.problems) > n:
        return None
    assert cid and calendar and max_hours is not None and held is not None and sessions is not None
    return SupervisedCoach(cid, calendar, max_hours, held, tuple(sorted(sessions, key=lambda s: s.start)))


def parse_instance(data: Any) -> SupervisionInstance:
    """Build a `SupervisionInstance` from parsed JSON or raise `InstanceError` listing every problem."""
    rd, top = document(data, INSTANCE_FORMAT, InstanceError)
    now = rd.instant(rd.field(top, "now", ""), "now")
    start, end = rd.horizon(top)
    timezone = rd.timezone(rd.field(top, "timezone", ""), "timezone")
    slot = rd.integer(rd.field(top, "slot_minutes", "", 30), "slot_minutes", 1, 1440)
    notice = rd.number(rd.field(top, "min_notice_hours", "", 0), "min_notice_hours", 0)
    minutes = rd.integer(rd.field(top, "session_minutes", ""), "session_minutes", 15, 480)
    size = rd.integer(rd.field(top, "max_group_size", ""), "max_group_size", 1, 20)
    supervisor = None
    raw = rd.field(top, "supervisor", "")
    if raw is not None and (so := rd.obj(raw, "supervisor")) is not None:
        supervisor = _calendar(rd, so, "supervisor")
    coaches = rd.items(rd.field(top, "coaches", ""), "coaches", lambda o, p: _coach(rd, o, p))
    unique(rd, coaches, "coaches[{}].id", lambda coach: coach.id, duplicate_id)
    if rd.problems:
        raise InstanceError(rd.problems)
    assert now and start and end and timezone and slot and notice is not None and minutes and size
    assert supervisor is not None and coaches is not None
    return SupervisionInstance(now, start, end, timezone, slot, notice, minutes, size, supervisor, tuple(coaches))


def _session(rd: _Reader, o: Mapping[str, Any], p: str) -> SupervisionSession | None:
    span = _span(rd, o, p)
    coaches = rd.strings(rd.field(o, "coaches", p), f"{p}.coaches")
    if span is None or coaches is None:
        return None
    return SupervisionSession(span.start, span.end, coaches)


def _left_out(rd: _Reader, o: Mapping[str, Any], p: str) -> LeftOut | None:
    entry = left_out_entry(rd, o, p, "coach")
    return None if entry is None else LeftOut(*entry)


def plan_header(data: Any, expected: str) -> tuple[_Reader, Mapping[str, Any], Any]:
    """The reader, top object and status of a plan document of format `expected` (both planners' plans)."""
    rd, top = document(data, expected, SolutionError)
    status = rd.field(top, "status", "")
    if status is not _MISSING and status not in STATUSES:
        rd.problem("status", f"unknown status {_show(status)}")
    return rd, top, status


def parse_plan(data: Any) -> SupervisionPlan:
    """Build a `SupervisionPlan` from parsed JSON or raise `SolutionError`."""
    rd, top, status = plan_header(data, PLAN_FORMAT)
    sessions = rd.items(rd.field(top, "sessions", ""), "sessions", lambda o, p: _session(rd, o, p))
    left_out = rd.items(rd.field(top, "left_out", "", []), "left_out", lambda o, p: _left_out(rd, o, p))
    if rd.problems:
        raise SolutionError(rd.problems)
    assert sessions is not None and left_out is not None and isinstance(status, str)
    return SupervisionPlan(status, tuple(sessions), tuple(left_out))


def _instant(moment: Any) -> str:
    return str(moment.astimezone(UTC).isoformat().replace("+00:00", "Z"))


def plan_to_json(plan: SupervisionPlan) -> dict[str, Any]:
    return {
        "format": PLAN_FORMAT,
        "status": plan.status,
        "sessions": [
            {"start": _instant(s.start), "end": _instant(s.end), "coaches": list(s.coaches)} for s in plan.sessions
        ],
        "left_out": [{"coach": x.who, "reasons": list(x.reasons)} for x in plan.left_out],
        "stats": dict(plan.stats),
    }
