"""The supervision planner's vocabulary: `supervision-instance/1` and `supervision-plan/1`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from solver.domain import AvailabilityOverride, WeeklyPattern

INSTANCE_FORMAT = "supervision-instance/1"
PLAN_FORMAT = "supervision-plan/1"


@dataclass(frozen=True)
class TimeSpan:
    """A half-open stretch of time [start, end)."""

    start: datetime
    end: datetime

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


@dataclass(frozen=True)
class Calendar:
    """When a person can meet: a weekly pattern on their own clock, overrides, busy time."""

    timezone: str
    weekly: WeeklyPattern
    overrides: tuple[AvailabilityOverride, ...] = ()
    busy: tuple[TimeSpan, ...] = ()


@dataclass(frozen=True)
class SupervisedCoach:
    """A coach under supervision: hours held since their last supervision, coaching to come."""

    id: str
    calendar: Calendar
    max_hours: float
    held_hours: float
    sessions: tuple[TimeSpan, ...] = ()  # scheduled coaching still to come; each counts in full at its start


@dataclass(frozen=True)
class SupervisionInstance:
    now: datetime
    horizon_start: date
    horizon_end: date  # inclusive, in `timezone`
    timezone: str
    slot_minutes: int
    min_notice_hours: float
    session_minutes: int
    max_group_size: int
    supervisor: Calendar
    coaches: tuple[SupervisedCoach, ...]


@dataclass(frozen=True)
class SupervisionSession(TimeSpan):
    """A group supervision meeting and the coaches in it."""

    coaches: tuple[str, ...]


@dataclass(frozen=True)
class LeftOut:
    """Someone a planner's plan leaves out, and why: a coach who needs supervision in the horizon
    and gets none that keeps them under their limit, or an intervision participant in no group."""

    who: str  # the coach's or the participant's id
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class SupervisionPlan:
    status: str
    sessions: tuple[SupervisionSession, ...]
    left_out: tuple[LeftOut, ...] = ()
    stats: dict[str, float | int | str] = field(default_factory=dict)
