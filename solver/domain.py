"""The solver's vocabulary: an instance to solve and the solution it yields.

Immutable dataclasses mirroring `coaching-instance/1` and `coaching-solution/1`
(see the solver contract). Instants are aware datetimes; times of day are whole
minutes after local midnight; weekly patterns are keyed by `mon`..`sun`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

INSTANCE_FORMAT = "coaching-instance/1"
SOLUTION_FORMAT = "coaching-solution/1"
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LEVELS: tuple[str, ...] = ("trainee", "accredited", "senior")
STATUSES: tuple[str, ...] = (
    "OPTIMAL",
    "FEASIBLE",
    "INFEASIBLE",
    "MODEL_INVALID",
    "UNKNOWN",
)

# A half-open local interval [start, end) in minutes after local midnight (end may be 1440).
TimeRange = tuple[int, int]
WeeklyPattern = Mapping[str, tuple[TimeRange, ...]]


def clock(minutes: int) -> str:
    """`HH:MM` for minutes after midnight, as the format writes times of day (24:00 ends a day)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def clock_minutes(text: str) -> int:
    """Minutes after midnight of an `HH:MM` the codec has already checked."""
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


@dataclass(frozen=True)
class BusyTime:
    """Time a coach is already taken; `is_session` entries count toward session caps."""

    start: datetime
    end: datetime
    is_session: bool


@dataclass(frozen=True)
class AvailabilityOverride:
    """Replaces the coach's weekly pattern on one local date (empty = unavailable)."""

    date: date
    intervals: tuple[TimeRange, ...]


@dataclass(frozen=True)
class Supervisor:
    id: str
    max_trainee_engagements: int
    active_trainee_engagements: int
    # With `capacity_over_time`: when each running trainee engagement ends (rule 9').
    active_trainee_engagements_end: tuple[datetime, ...] = ()


@dataclass(frozen=True)
class Coach:
    id: str
    timezone: str
    languages: tuple[str, ...]
    topics: tuple[str, ...]
    level: str
    supervisor: str | None
    organisation: str | None
    max_active_coachees: int
    active_coachees: int
    max_sessions_per_week: int
    max_sessions_per_day: int
    buffer_minutes: int
    weekly: WeeklyPattern
    overrides: tuple[AvailabilityOverride, ...] = ()
    busy: tuple[BusyTime, ...] = ()
    coaching_hours_since_supervision: float = 0.0
    next_supervision: datetime | None = None
    excluded_requests: tuple[str, ...] = ()
    # With `capacity_over_time`: when each running engagement ends (rule 5').
    active_engagements_end: tuple[datetime, ...] = ()

    @cached_property
    def override_by_date(self) -> dict[date, tuple[TimeRange, ...]]:
        return {o.date: o.intervals for o in self.overrides}


@dataclass(frozen=True)
class CoachingRequest:
    id: str
    timezone: str
    languages: tuple[str, ...]
    topics: tuple[str, ...]
    organisation: str | None
    sessions: int
    session_minutes: int
    min_gap_days: int
    max_gap_days: int
    earliest_start: date
    windows: WeeklyPattern
    priority: int
    submitted_at: datetime
    sensitive: bool = False
    preferred_coaches: tuple[str, ...] = ()
    excluded_coaches: tuple[str, ...] = ()
    pinned_coach: str | None = None
    required: bool = False  # tier 0: the supervisor wants this one placed


# The contract calls it a request; the rest of the app may prefer the long name.
Request = CoachingRequest


@dataclass(frozen=True)
class Session:
    """One coaching session, [start, end) as aware datetimes (UTC in our output)."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Assignment:
    """A request placed with one coach; `score` holds the tier 2-5 terms."""

    request: str
    coach: str
    sessions: tuple[Session, ...]
    score: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Instance:
    now: datetime
    horizon_start: date
    horizon_end: date
    timezone: str
    slot_minutes: int
    min_notice_hours: float
    max_hours_between: Mapping[str, float]
    supervisors: tuple[Supervisor, ...]
    coaches: tuple[Coach, ...]
    requests: tuple[CoachingRequest, ...]
    current: tuple[Assignment, ...] = ()
    # Rules 5' and 9': caps count engagements running at the same moment, not the horizon.
    capacity_over_time: bool = False

    @cached_property
    def has_required(self) -> bool:
        return any(r.required for r in self.requests)

    @cached_property
    def coach_by_id(self) -> dict[str, Coach]:
        return {c.id: c for c in self.coaches}

    @cached_property
    def request_by_id(self) -> dict[str, CoachingRequest]:
        return {r.id: r for r in self.requests}

    @cached_property
    def supervisor_by_id(self) -> dict[str, Supervisor]:
        return {s.id: s for s in self.supervisors}

    @cached_property
    def current_by_request(self) -> dict[str, Assignment]:
        return {a.request: a for a in self.current}

    def weight(self, request: CoachingRequest) -> int:
        """Tier 1 weight of serving `request` (contract, objective tier 1)."""
        return request_weight(request, self.now)


def request_weight(request: CoachingRequest, now: datetime) -> int:
    """`100 * 2**(priority-1) + min(max(0, floor((now - submitted_at) / 1 day)), 90)`."""
    waited_days = math.floor((now - request.submitted_at).total_seconds() / 86400)
    return (100 << (request.priority - 1)) + min(max(0, waited_days), 90)


@dataclass(frozen=True)
class Reason:
    """Why a request is not served, for people and for programs.

    `code` names the kind of reason (e.g. "no_common_time", "coach_full_until"); `params`
    holds what the text mentions (coach refs under "coaches"/"coach", ISO dates, "HH:MM"
    times, weekday names, caps) so that an app can word it in the reader's language and
    timezone; `text` is the plain English sentence, which also says what would help.
    """

    code: str
    text: str
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Unassigned:
    request: str
    reasons: tuple[str, ...]
    # The same reasons with their codes and parameters (not part of the JSON solution).
    details: tuple[Reason, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Solution:
    status: str
    served_weight: int
    served_weight_bound: int | None
    assignments: tuple[Assignment, ...]
    unassigned: tuple[Unassigned, ...] = ()
    stats: Mapping[str, object] = field(default_factory=dict)
    required_served: int | None = None  # tier 0; set when the instance has required requests


@dataclass(frozen=True)
class Progress:
    """A snapshot of a running solve, for progress display and callbacks."""

    elapsed_seconds: float
    served_weight: int
    served_weight_bound: int | None
    gap: float | None
