"""JSON <-> dataclasses for `coaching-instance/1` and `coaching-solution/1`.

Parsing collects every problem it finds, one line each, naming the field path
(`coaches[3].weekly.mon[0]: end 09:00 is before start 12:00`), and raises them
together so a user can fix a file in one pass.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from solver.domain import (
    INSTANCE_FORMAT,
    LEVELS,
    SOLUTION_FORMAT,
    STATUSES,
    WEEKDAYS,
    Assignment,
    AvailabilityOverride,
    BusyTime,
    Coach,
    CoachingRequest,
    Instance,
    Session,
    Solution,
    Supervisor,
    TimeRange,
    Unassigned,
    clock,
)

T = TypeVar("T")
_MISSING = object()
_TIME_RE = re.compile(r"^(\d{2}):(\d{2})$")


class InstanceError(ValueError):
    """Bad input: `problems` holds one "path: message" line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class SolutionError(InstanceError):
    """A solution document that is not well formed."""


class _Reader:
    """Reads typed fields out of parsed JSON, recording problems instead of raising."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}" if path else message)

    def field(self, obj: Mapping[str, Any], key: str, path: str, default: Any = _MISSING) -> Any:
        if key in obj:
            return obj[key]
        if default is _MISSING:
            self.problem(_join(path, key), "missing field")
        return default

    def string(self, value: Any, path: str) -> str | None:
        if value is _MISSING:
            return None
        if isinstance(value, str) and value:
            return value
        self.problem(path, f"expected a non-empty string, got {_show(value)}")
        return None

    def optional_string(self, value: Any, path: str) -> str | None:
        if value is _MISSING:
            return None
        return None if value is None else self.string(value, path)

    def integer(self, value: Any, path: str, low: int | None = None, high: int | None = None) -> int | None:
        if value is _MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                self.problem(path, f"expected an integer, got {_show(value)}")
                return None
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            self.problem(path, f"{value} is not {bounds}")
            return None
        return int(value)

    def number(self, value: Any, path: str, low: float | None = None) -> float | None:
        if value is _MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            self.problem(path, f"expected a number, got {_show(value)}")
            return None
        if low is not None and value < low:
            self.problem(path, f"{value} is below {low}")
            return None
        return float(value)

    def boolean(self, value: Any, path: str) -> bool | None:
        if value is _MISSING:
            return None
        if isinstance(value, bool):
            return value
        self.problem(path, f"expected true or false, got {_show(value)}")
        return None

    def obj(self, value: Any, path: str) -> Mapping[str, Any] | None:
        if value is _MISSING:
            return None
        if isinstance(value, dict):
            return value
        self.problem(path, f"expected an object, got {_show(value)}")
        return None

    def array(self, value: Any, path: str) -> list[Any] | None:
        if value is _MISSING:
            return None
        if isinstance(value, list):
            return value
        self.problem(path, f"expected a list, got {_show(value)}")
        return None

    def strings(self, value: Any, path: str) -> tuple[str, ...] | None:
        if value is _MISSING:
            return None
        items = self.array(value, path)
        if items is None:
            return None
        out = [self.string(v, f"{path}[{i}]") for i, v in enumerate(items)]
        return tuple(s for s in out if s is not None) if None not in out else None

    def day(self, value: Any, path: str) -> date | None:
        if value is _MISSING:
            return None
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.problem(path, f"expected a date YYYY-MM-DD, got {_show(value)}")
        return None

    def horizon(self, top: Mapping[str, Any]) -> tuple[date | None, date | None]:
        """The instance's `horizon` dates (start, end), end not before start."""
        start = end = None
        horizon = self.field(top, "horizon", "")
        if horizon is not None and (h := self.obj(horizon, "horizon")) is not None:
            start = self.day(self.field(h, "start", "horizon"), "horizon.start")
            end = self.day(self.field(h, "end", "horizon"), "horizon.end")
            if start and end and end < start:
                self.problem("horizon", f"end {end} is before start {start}")
        return start, end

    def instant(self, value: Any, path: str) -> datetime | None:
        if value is _MISSING:
            return None
        if isinstance(value, str) and "T" in value:
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                parsed = None
            if parsed is not None:
                if parsed.tzinfo is None:
                    self.problem(path, f"instant {value} has no UTC offset")
                    return None
                return parsed
        self.problem(path, f"expected an ISO 8601 instant with offset, got {_show(value)}")
        return None

    def optional_instant(self, value: Any, path: str) -> datetime | None:
        if value is _MISSING:
            return None
        return None if value is None else self.instant(value, path)

    def timezone(self, value: Any, path: str) -> str | None:
        if value is _MISSING:
            return None
        name = self.string(value, path)
        if name is None:
            return None
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            self.problem(path, f"unknown timezone {name!r}")
            return None
        return name

    def time_of_day(self, value: Any, path: str, allow_24: bool) -> int | None:
        match = _TIME_RE.match(value) if isinstance(value, str) else None
        if match:
            hours, minutes = int(match[1]), int(match[2])
            if (hours < 24 and minutes < 60) or (allow_24 and hours == 24 and minutes == 0):
                return hours * 60 + minutes
        self.problem(path, f"expected a time HH:MM, got {_show(value)}")
        return None

    def intervals(self, value: Any, path: str) -> tuple[TimeRange, ...] | None:
        if value is _MISSING:
            return None
        items = self.array(value, path)
        if items is None:
            return None
        out: list[TimeRange] = []
        ok = True
        for i, item in enumerate(items):
            ipath = f"{path}[{i}]"
            if not (isinstance(item, list) and len(item) == 2):
                self.problem(ipath, f'expected ["HH:MM", "HH:MM"], got {_show(item)}')
                ok = False
                continue
            start = self.time_of_day(item[0], f"{ipath}[0]", allow_24=False)
            end = self.time_of_day(item[1], f"{ipath}[1]", allow_24=True)
            if start is None or end is None:
                ok = False
            elif end <= start:
                self.problem(
                    ipath,
                    f"end {item[1]} is before start {item[0]}"
                    if end < start
                    else f"empty interval {item[0]}-{item[1]}",
                )
                ok = False
            else:
                out.append((start, end))
        return tuple(out) if ok else None

    def weekly(self, value: Any, path: str) -> dict[str, tuple[TimeRange, ...]] | None:
        if value is _MISSING:
            return None
        pattern = self.obj(value, path)
        if pattern is None:
            return None
        out: dict[str, tuple[TimeRange, ...]] = {}
        ok = True
        for day_name, intervals in pattern.items():
            if day_name not in WEEKDAYS:
                self.problem(_join(path, day_name), "unknown weekday (use mon..sun)")
                ok = False
                continue
            parsed = self.intervals(intervals, _join(path, day_name))
            if parsed is None:
                ok = False
            else:
                out[day_name] = parsed
        return out if ok else None

    def items(self, value: Any, path: str, parse: Callable[[Mapping[str, Any], str], T | None]) -> tuple[T, ...] | None:
        if value is _MISSING:
            return None
        items = self.array(value, path)
        if items is None:
            return None
        out: list[T] = []
        ok = True
        for i, item in enumerate(items):
            ipath = f"{path}[{i}]"
            obj = self.obj(item, ipath)
            parsed = parse(obj, ipath) if obj is not None else None
            if parsed is None:
                ok = False
            else:
                out.append(parsed)
        return tuple(out) if ok else None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 40 else text[:37] + "..."


# ---------------------------------------------------------------- instance


def parse_instance(data: Any) -> Instance:
    """Build an `Instance` from parsed JSON or raise `InstanceError` listing every problem."""
    rd = _Reader()
    top = rd.obj(data, "")
    if top is None:
        raise InstanceError(rd.problems or ["instance: expected a JSON object"])
    fmt = top.get("format", _MISSING)
    if fmt is _MISSING:
        raise InstanceError([f'format: missing field (expected "{INSTANCE_FORMAT}")'])
    if fmt != INSTANCE_FORMAT:
        raise InstanceError([f'format: unknown format {_show(fmt)} (expected "{INSTANCE_FORMAT}")'])

    now = rd.instant(rd.field(top, "now", ""), "now")
    horizon_start, horizon_end = rd.horizon(top)
    timezone = rd.timezone(rd.field(top, "timezone", ""), "timezone")
    slot_minutes = rd.integer(rd.field(top, "slot_minutes", ""), "slot_minutes", 1, 1440)
    min_notice = rd.number(rd.field(top, "min_notice_hours", "", 0), "min_notice_hours", 0)

    max_hours: dict[str, float] | None = None
    sup = rd.field(top, "supervision", "")
    if sup is not None and (supobj := rd.obj(sup, "supervision")) is not None:
        raw = rd.field(supobj, "max_hours_between", "supervision")
        if raw is not None and (mh := rd.obj(raw, "supervision.max_hours_between")) is not None:
            max_hours = {}
            for level in LEVELS:
                p = f"supervision.max_hours_between.{level}"
                v = rd.number(rd.field(mh, level, "supervision.max_hours_between"), p, 0)
                if v is not None:
                    max_hours[level] = v
            for key in mh:
                if key not in LEVELS:
                    rd.problem(
                        f"supervision.max_hours_between.{key}",
                        "unknown level (use trainee, accredited, senior)",
                    )

    over_time = rd.boolean(rd.field(top, "capacity_over_time", "", False), "capacity_over_time")
    supervisors = rd.items(
        rd.field(top, "supervisors", "", []),
        "supervisors",
        lambda o, p: _supervisor(rd, o, p, bool(over_time)),
    )
    coaches = rd.items(rd.field(top, "coaches", ""), "coaches", lambda o, p: _coach(rd, o, p, bool(over_time)))
    requests = rd.items(rd.field(top, "requests", ""), "requests", lambda o, p: _request(rd, o, p))
    current = rd.items(
        rd.field(top, "current", "", []),
        "current",
        lambda o, p: _assignment(rd, o, p, scored=False),
    )

    _check_ids(rd, top)
    if rd.problems:
        raise InstanceError(rd.problems)
    assert now and horizon_start and horizon_end and timezone and slot_minutes and max_hours is not None
    assert min_notice is not None and supervisors is not None and coaches is not None
    assert requests is not None and current is not None
    return Instance(
        now=now,
        horizon_start=horizon_start,
        horizon_end=horizon_end,
        timezone=timezone,
        slot_minutes=slot_minutes,
        min_notice_hours=min_notice,
        max_hours_between=max_hours,
        supervisors=supervisors,
        coaches=coaches,
        requests=requests,
        current=current,
        capacity_over_time=bool(over_time),
    )


def _running_ends(rd: _Reader, o: Mapping[str, Any], key: str, p: str) -> tuple[datetime, ...] | None:
    """The end instants of running engagements (read only under `capacity_over_time`)."""
    raw = rd.field(o, key, p, [])
    items = rd.array(raw, f"{p}.{key}")
    if items is None:
        return None
    ends = [rd.instant(v, f"{p}.{key}[{i}]") for i, v in enumerate(items)]
    return tuple(e for e in ends if e is not None) if None not in ends else None


def _supervisor(rd: _Reader, o: Mapping[str, Any], p: str, over_time: bool = False) -> Supervisor | None:
    sid = rd.string(rd.field(o, "id", p), f"{p}.id")
    cap = rd.integer(rd.field(o, "max_trainee_engagements", p), f"{p}.max_trainee_engagements", 0)
    active = rd.integer(
        rd.field(o, "active_trainee_engagements", p, 0),
        f"{p}.active_trainee_engagements",
        0,
    )
    ends: tuple[datetime, ...] | None = ()
    if over_time:
        # Rule 9': the listed running engagements replace the count, which is not read.
        ends, active = _running_ends(rd, o, "active_trainee_engagements_end", p), 0
    if sid is None or cap is None or active is None or ends is None:
        return None
    return Supervisor(sid, cap, active, ends)


def _busy(rd: _Reader, o: Mapping[str, Any], p: str) -> BusyTime | None:
    start = rd.instant(rd.field(o, "start", p), f"{p}.start")
    end = rd.instant(rd.field(o, "end", p), f"{p}.end")
    is_session = rd.boolean(rd.field(o, "session", p, False), f"{p}.session")
    if start is None or end is None or is_session is None:
        return None
    if end <= start:
        rd.problem(p, f"end {o['end']} is not after start {o['start']}")
        return None
    return BusyTime(start, end, is_session)


def _override(rd: _Reader, o: Mapping[str, Any], p: str) -> AvailabilityOverride | None:
    day = rd.day(rd.field(o, "date", p), f"{p}.date")
    intervals = rd.intervals(rd.field(o, "intervals", p), f"{p}.intervals")
    if day is None or intervals is None:
        return None
    return AvailabilityOverride(day, intervals)


def _coach(rd: _Reader, o: Mapping[str, Any], p: str, over_time: bool = False) -> Coach | None:
    n = len(rd.problems)
    cid = rd.string(rd.field(o, "id", p), f"{p}.id")
    tz = rd.timezone(rd.field(o, "timezone", p), f"{p}.timezone")
    languages = rd.strings(rd.field(o, "languages", p), f"{p}.languages")
    topics = rd.strings(rd.field(o, "topics", p, []), f"{p}.topics")
    level = rd.field(o, "level", p)
    if level is not _MISSING and level not in LEVELS:
        rd.problem(
            f"{p}.level",
            f"unknown level {_show(level)} (use trainee, accredited, senior)",
        )
    supervisor = rd.optional_string(rd.field(o, "supervisor", p, None), f"{p}.supervisor")
    if level == "trainee" and supervisor is None and "supervisor" not in o:
        rd.problem(f"{p}.supervisor", "missing field (required for trainees)")
    elif level == "trainee" and o.get("supervisor") is None:
        rd.problem(f"{p}.supervisor", "a trainee needs a supervisor")
    organisation = rd.optional_string(rd.field(o, "organisation", p, None), f"{p}.organisation")
    max_active = rd.integer(rd.field(o, "max_active_coachees", p), f"{p}.max_active_coachees", 0)
    active = rd.integer(rd.field(o, "active_coachees", p, 0), f"{p}.active_coachees", 0)
    per_week = rd.integer(rd.field(o, "max_sessions_per_week", p), f"{p}.max_sessions_per_week", 0)
    per_day = rd.integer(rd.field(o, "max_sessions_per_day", p), f"{p}.max_sessions_per_day", 0)
    buffer = rd.integer(rd.field(o, "buffer_minutes", p, 0), f"{p}.buffer_minutes", 0)
    weekly = rd.weekly(rd.field(o, "weekly", p), f"{p}.weekly")
    overrides = rd.items(
        rd.field(o, "overrides", p, []),
        f"{p}.overrides",
        lambda oo, pp: _override(rd, oo, pp),
    )
    busy = rd.items(rd.field(o, "busy", p, []), f"{p}.busy", lambda oo, pp: _busy(rd, oo, pp))
    hours = rd.number(
        rd.field(o, "coaching_hours_since_supervision", p, 0.0),
        f"{p}.coaching_hours_since_supervision",
        0,
    )
    next_sup = rd.optional_instant(rd.field(o, "next_supervision", p, None), f"{p}.next_supervision")
    excluded = rd.strings(rd.field(o, "excluded_requests", p, []), f"{p}.excluded_requests")
    ends: tuple[datetime, ...] | None = ()
    if over_time:
        # Rule 5': the listed running engagements replace `active_coachees`, which is not read.
        ends, active = _running_ends(rd, o, "active_engagements_end", p), 0
    if overrides is not None:
        seen: set[date] = set()
        for i, ov in enumerate(overrides):
            if ov.date in seen:
                rd.problem(f"{p}.overrides[{i}].date", f"second override for {ov.date}")
            seen.add(ov.date)
    if len(rd.problems) > n:
        return None
    assert cid and tz and languages is not None and topics is not None and isinstance(level, str)
    assert max_active is not None and active is not None and per_week is not None and per_day is not None
    assert buffer is not None and weekly is not None and overrides is not None and busy is not None
    assert hours is not None and excluded is not None and ends is not None
    return Coach(
        id=cid,
        timezone=tz,
        languages=languages,
        topics=topics,
        level=level,
        supervisor=supervisor,
        organisation=organisation,
        max_active_coachees=max_active,
        active_coachees=active,
        max_sessions_per_week=per_week,
        max_sessions_per_day=per_day,
        buffer_minutes=buffer,
        weekly=weekly,
        overrides=overrides,
        busy=busy,
        coaching_hours_since_supervision=hours,
        next_supervision=next_sup,
        excluded_requests=excluded,
        active_engagements_end=ends,
    )


def _request(rd: _Reader, o: Mapping[str, Any], p: str) -> CoachingRequest | None:
    n = len(rd.problems)
    rid = rd.string(rd.field(o, "id", p), f"{p}.id")
    tz = rd.timezone(rd.field(o, "timezone", p), f"{p}.timezone")
    languages = rd.strings(rd.field(o, "languages", p), f"{p}.languages")
    if languages == ():
        rd.problem(f"{p}.languages", "at least one language is needed")
    topics = rd.strings(rd.field(o, "topics", p, []), f"{p}.topics")
    organisation = rd.optional_string(rd.field(o, "organisation", p, None), f"{p}.organisation")
    sessions = rd.integer(rd.field(o, "sessions", p), f"{p}.sessions", 1, 6)
    minutes = rd.integer(rd.field(o, "session_minutes", p), f"{p}.session_minutes", 1, 1440)
    min_gap = rd.integer(rd.field(o, "min_gap_days", p, 0), f"{p}.min_gap_days", 0)
    max_gap = rd.integer(rd.field(o, "max_gap_days", p, 366), f"{p}.max_gap_days", 0)
    if min_gap is not None and max_gap is not None and max_gap < min_gap:
        rd.problem(f"{p}.max_gap_days", f"{max_gap} is below min_gap_days {min_gap}")
    earliest = rd.day(rd.field(o, "earliest_start", p), f"{p}.earliest_start")
    windows = rd.weekly(rd.field(o, "windows", p), f"{p}.windows")
    priority = rd.integer(rd.field(o, "priority", p, 1), f"{p}.priority", 1, 3)
    submitted = rd.instant(rd.field(o, "submitted_at", p), f"{p}.submitted_at")
    sensitive = rd.boolean(rd.field(o, "sensitive", p, False), f"{p}.sensitive")
    preferred = rd.strings(rd.field(o, "preferred_coaches", p, []), f"{p}.preferred_coaches")
    excluded = rd.strings(rd.field(o, "excluded_coaches", p, []), f"{p}.excluded_coaches")
    pinned = rd.optional_string(rd.field(o, "pinned_coach", p, None), f"{p}.pinned_coach")
    required = rd.boolean(rd.field(o, "required", p, False), f"{p}.required")
    if len(rd.problems) > n:
        return None
    assert rid and tz and languages and topics is not None and sessions and minutes
    assert min_gap is not None and max_gap is not None and earliest and windows is not None
    assert priority and submitted and sensitive is not None and preferred is not None and excluded is not None
    return CoachingRequest(
        id=rid,
        timezone=tz,
        languages=languages,
        topics=topics,
        organisation=organisation,
        sessions=sessions,
        session_minutes=minutes,
        min_gap_days=min_gap,
        max_gap_days=max_gap,
        earliest_start=earliest,
        windows=windows,
        priority=priority,
        submitted_at=submitted,
        sensitive=sensitive,
        preferred_coaches=preferred,
        excluded_coaches=excluded,
        pinned_coach=pinned,
        required=bool(required),
    )


def _session(rd: _Reader, o: Mapping[str, Any], p: str) -> Session | None:
    start = rd.instant(rd.field(o, "start", p), f"{p}.start")
    end = rd.instant(rd.field(o, "end", p), f"{p}.end")
    if start is None or end is None:
        return None
    return Session(start, end)


def _assignment(rd: _Reader, o: Mapping[str, Any], p: str, scored: bool) -> Assignment | None:
    n = len(rd.problems)
    rid = rd.string(rd.field(o, "request", p), f"{p}.request")
    cid = rd.string(rd.field(o, "coach", p), f"{p}.coach")
    sessions = rd.items(rd.field(o, "sessions", p), f"{p}.sessions", lambda oo, pp: _session(rd, oo, pp))
    score: dict[str, float] = {}
    if scored and "score" in o and (sobj := rd.obj(o["score"], f"{p}.score")) is not None:
        for key, value in sobj.items():
            v = rd.number(value, f"{p}.score.{key}")
            if v is not None:
                score[key] = v
    if len(rd.problems) > n:
        return None
    assert rid and cid and sessions is not None
    return Assignment(rid, cid, sessions, score)


def _raw_list(top: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = top.get(key)
    return [o for o in value if isinstance(o, dict)] if isinstance(value, list) else []


def _check_ids(rd: _Reader, top: Mapping[str, Any]) -> None:
    """Duplicate ids and references to unknown ids, read from the raw document.

    Working on the raw JSON lets a reference be checked even when the item it points
    to has other problems of its own.
    """
    ids: dict[str, set[str]] = {}
    for name in ("supervisors", "coaches", "requests"):
        seen: set[str] = set()
        for i, o in enumerate(_raw_list(top, name)):
            item_id = o.get("id")
            if isinstance(item_id, str):
                if item_id in seen:
                    rd.problem(f"{name}[{i}].id", f"duplicate id {item_id!r}")
                seen.add(item_id)
        ids[name] = seen

    def ref(value: Any, path: str, kind: str, known: set[str]) -> None:
        if isinstance(value, str) and value and value not in known:
            rd.problem(path, f"unknown {kind} {value!r}")

    for i, c in enumerate(_raw_list(top, "coaches")):
        ref(c.get("supervisor"), f"coaches[{i}].supervisor", "supervisor", ids["supervisors"])
        excluded = c.get("excluded_requests")
        for j, rid in enumerate(excluded if isinstance(excluded, list) else []):
            ref(rid, f"coaches[{i}].excluded_requests[{j}]", "request", ids["requests"])
    for i, r in enumerate(_raw_list(top, "requests")):
        ref(r.get("pinned_coach"), f"requests[{i}].pinned_coach", "coach", ids["coaches"])
        for key in ("preferred_coaches", "excluded_coaches"):
            values = r.get(key)
            for j, cid in enumerate(values if isinstance(values, list) else []):
                ref(cid, f"requests[{i}].{key}[{j}]", "coach", ids["coaches"])
    for i, a in enumerate(_raw_list(top, "current")):
        ref(a.get("request"), f"current[{i}].request", "request", ids["requests"])
        ref(a.get("coach"), f"current[{i}].coach", "coach", ids["coaches"])


# ---------------------------------------------------------------- solution


def format_instant(moment: datetime) -> str:
    """UTC ISO 8601 with a `Z`, seconds precision: `2026-12-07T17:00:00Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 4)


def assignment_to_json(a: Assignment, with_score: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "request": a.request,
        "coach": a.coach,
        "sessions": [{"start": format_instant(s.start), "end": format_instant(s.end)} for s in a.sessions],
    }
    if with_score:
        out["score"] = {k: _number(v) for k, v in a.score.items()}
    return out


def solution_to_json(solution: Solution) -> dict[str, Any]:
    """The `coaching-solution/1` document for `solution`."""
    out: dict[str, Any] = {
        "format": SOLUTION_FORMAT,
        "status": solution.status,
        "served_weight": solution.served_weight,
        "served_weight_bound": solution.served_weight_bound,
    }
    if solution.required_served is not None:
        out["required_served"] = solution.required_served
    return out | {
        "assignments": [assignment_to_json(a) for a in solution.assignments],
        "unassigned": [{"request": u.request, "reasons": list(u.reasons)} for u in solution.unassigned],
        "stats": dict(solution.stats),
    }


def instance_to_json(instance: Instance) -> dict[str, Any]:
    """The `coaching-instance/1` document for `instance` (round-trips through `parse_instance`)."""

    def pattern(p: Mapping[str, tuple[TimeRange, ...]]) -> dict[str, list[list[str]]]:
        return {d: [[clock(a), clock(b)] for a, b in ivs] for d, ivs in p.items()}

    return {
        "format": INSTANCE_FORMAT,
        "now": format_instant(instance.now),
        "horizon": {
            "start": instance.horizon_start.isoformat(),
            "end": instance.horizon_end.isoformat(),
        },
        "timezone": instance.timezone,
        "slot_minutes": instance.slot_minutes,
        "min_notice_hours": _number(instance.min_notice_hours),
        "supervision": {"max_hours_between": {k: _number(v) for k, v in instance.max_hours_between.items()}},
        "supervisors": [
            {
                "id": s.id,
                "max_trainee_engagements": s.max_trainee_engagements,
                "active_trainee_engagements": s.active_trainee_engagements,
            }
            | (
                {"active_trainee_engagements_end": [format_instant(e) for e in s.active_trainee_engagements_end]}
                if instance.capacity_over_time
                else {}
            )
            for s in instance.supervisors
        ],
        "coaches": [
            {
                "id": c.id,
                "timezone": c.timezone,
                "languages": list(c.languages),
                "topics": list(c.topics),
                "level": c.level,
                "supervisor": c.supervisor,
                "organisation": c.organisation,
                "max_active_coachees": c.max_active_coachees,
                "active_coachees": c.active_coachees,
                "max_sessions_per_week": c.max_sessions_per_week,
                "max_sessions_per_day": c.max_sessions_per_day,
                "buffer_minutes": c.buffer_minutes,
                "weekly": pattern(c.weekly),
                "overrides": [
                    {
                        "date": o.date.isoformat(),
                        "intervals": [[clock(a), clock(b)] for a, b in o.intervals],
                    }
                    for o in c.overrides
                ],
                "busy": [
                    {
                        "start": format_instant(b.start),
                        "end": format_instant(b.end),
                        "session": b.is_session,
                    }
                    for b in c.busy
                ],
                "coaching_hours_since_supervision": _number(c.coaching_hours_since_supervision),
                "next_supervision": format_instant(c.next_supervision) if c.next_supervision else None,
                "excluded_requests": list(c.excluded_requests),
            }
            | (
                {"active_engagements_end": [format_instant(e) for e in c.active_engagements_end]}
                if instance.capacity_over_time
                else {}
            )
            for c in instance.coaches
        ],
        "requests": [
            {
                "id": r.id,
                "timezone": r.timezone,
                "languages": list(r.languages),
                "topics": list(r.topics),
                "organisation": r.organisation,
                "sessions": r.sessions,
                "session_minutes": r.session_minutes,
                "min_gap_days": r.min_gap_days,
                "max_gap_days": r.max_gap_days,
                "earliest_start": r.earliest_start.isoformat(),
                "windows": pattern(r.windows),
                "priority": r.priority,
                "submitted_at": format_instant(r.submitted_at),
                "sensitive": r.sensitive,
                "preferred_coaches": list(r.preferred_coaches),
                "excluded_coaches": list(r.excluded_coaches),
                "pinned_coach": r.pinned_coach,
                "required": r.required,
            }
            for r in instance.requests
        ],
        "current": [assignment_to_json(a, with_score=False) for a in instance.current],
    } | ({"capacity_over_time": True} if instance.capacity_over_time else {})


def parse_solution(data: Any, instance: Instance | None = None) -> Solution:
    """Build a `Solution` from parsed JSON or raise `SolutionError`.

    Only the document's shape is checked here. Whether its ids exist and its
    sessions keep the hard rules is `solver.validate`'s question, so that a
    checker can report those as rule violations rather than bad input.
    """
    del instance  # accepted for symmetry with the contract; see the docstring
    rd = _Reader()
    top = rd.obj(data, "")
    if top is None:
        raise SolutionError(rd.problems)
    fmt = top.get("format", _MISSING)
    if fmt != SOLUTION_FORMAT:
        what = "missing field" if fmt is _MISSING else f"unknown format {_show(fmt)}"
        raise SolutionError([f'format: {what} (expected "{SOLUTION_FORMAT}")'])
    status = rd.field(top, "status", "", "UNKNOWN")
    if status not in STATUSES:
        rd.problem("status", f"unknown status {_show(status)} (use {', '.join(STATUSES)})")
    served = rd.integer(rd.field(top, "served_weight", "", 0), "served_weight", 0)
    raw_bound = rd.field(top, "served_weight_bound", "", None)
    bound = None if raw_bound is None else rd.integer(raw_bound, "served_weight_bound", 0)
    raw_required = rd.field(top, "required_served", "", None)
    required_served = None if raw_required is None else rd.integer(raw_required, "required_served", 0)
    assignments = rd.items(
        rd.field(top, "assignments", ""),
        "assignments",
        lambda o, p: _assignment(rd, o, p, scored=True),
    )

    def unassigned(o: Mapping[str, Any], p: str) -> Unassigned | None:
        rid = rd.string(rd.field(o, "request", p), f"{p}.request")
        reasons = rd.strings(rd.field(o, "reasons", p, []), f"{p}.reasons")
        return Unassigned(rid, reasons) if rid is not None and reasons is not None else None

    unserved = rd.items(rd.field(top, "unassigned", "", []), "unassigned", unassigned)
    stats = rd.obj(rd.field(top, "stats", "", {}), "stats")
    if rd.problems:
        raise SolutionError(rd.problems)
    assert served is not None and assignments is not None and unserved is not None and stats is not None
    return Solution(
        status=str(status),
        served_weight=served,
        served_weight_bound=bound,
        assignments=assignments,
        unassigned=unserved,
        stats=dict(stats),
        required_served=required_served,
    )
