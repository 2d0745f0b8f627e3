"""What the supervisor watches: the supervision ledger, coaches' weekly load, the calendar of sessions.

Read-only views over the programme. The rules are those the solver enforces (hard rules
5, 9 and 10 of the solver contract), so the ledger says in advance who the solver will
not be able to use, and why.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from scheduler.models import (
    Coach,
    CoachingRequest,
    CoachingSession,
    Engagement,
    EngagementStatus,
    Level,
    Programme,
    SessionStatus,
    Supervisor,
    utcnow,
)
from scheduler.queries import live_engagement_rows, live_session_rows, max_hours_for
from scheduler.services.errors import InvalidInput
from scheduler.services.fields import as_int, valid_timezone
from scheduler.services.supervision_sessions.queries import hours_since_supervision, next_supervisions

LIVE_SESSION_STATES = (SessionStatus.SCHEDULED, SessionStatus.DRAFT)


def _coaches(db: Session, programme: Programme, *, include_inactive: bool = True) -> list[Coach]:
    query = (
        select(Coach)
        .where(Coach.programme_id == programme.id)
        .options(selectinload(Coach.availability), selectinload(Coach.supervisor))
        .order_by(Coach.name, Coach.id)
    )
    if not include_inactive:
        query = query.where(Coach.active.is_(True))
    return list(db.scalars(query))


@dataclass
class CoachSupervision:
    """One coach's line in the ledger."""

    coach: Coach
    max_hours: float
    recorded_hours: float  # coached since the last supervision, as recorded
    booked_hours: float  # approved sessions still to come before the next supervision
    draft_hours: float  # sessions of the current draft before the next supervision
    active_coachees: int
    blocked_reasons: list[str] = field(default_factory=list)
    next_supervision: dt.datetime | None = None  # recorded on the coach or the next approved group session
    supervised_at: dt.datetime | None = None  # end of the last supervision the coach attended

    @property
    def blocked_by_hours(self) -> bool:
        return any(r.startswith("supervision ratio") for r in self.blocked_reasons)

    @property
    def blocked_until(self) -> dt.datetime | None:
        """When the hours block lifts: the next supervision (None: not until one is planned)."""
        return self.next_supervision if self.blocked_by_hours else None

    @property
    def committed_hours(self) -> float:
        return self.recorded_hours + self.booked_hours

    @property
    def remaining_hours(self) -> float:
        return max(0.0, self.max_hours - self.committed_hours)

    @property
    def blocked(self) -> bool:
        return bool(self.blocked_reasons)


@dataclass
class SupervisorLoad:
    """A supervisor's trainee engagements against their maximum."""

    supervisor: Supervisor
    trainees: list[Coach]
    active_trainee_engagements: int
    draft_trainee_engagements: int

    @property
    def max(self) -> int:
        return self.supervisor.max_trainee_engagements

    @property
    def full(self) -> bool:
        return self.active_trainee_engagements >= self.supervisor.max_trainee_engagements


@dataclass
class SupervisionLedger:
    coaches: list[CoachSupervision]
    supervisors: list[SupervisorLoad]

    @property
    def blocked(self) -> list[CoachSupervision]:
        return [line for line in self.coaches if line.blocked]


def supervision_ledger(db: Session, programme: Programme, *, now: dt.datetime | None = None) -> SupervisionLedger:
    """Hours since supervision per coach against their level's maximum, trainee engagements per
    supervisor against theirs, and every coach the solver cannot give a new request to, with why.

    Hours already coached are those recorded on the coach; approved sessions still to come
    (before the next supervision, if one is planned) are added to them, as the solver adds
    the hours of the sessions it plans.
    """
    now = now or utcnow()
    coaches = _coaches(db, programme)
    engagements = live_engagement_rows(db, programme)
    by_id = {coach.id: coach for coach in coaches}
    held = hours_since_supervision(db, coaches, now)
    planned = next_supervisions(db, by_id, now)
    next_of = {
        c.id: min((t for t in (c.next_supervision, planned.get(c.id)) if t is not None), default=None) for c in coaches
    }
    booked: dict[int, float] = defaultdict(float)
    drafted: dict[int, float] = defaultdict(float)
    active: dict[int, int] = defaultdict(int)
    trainee_active: dict[int, int] = defaultdict(int)
    trainee_draft: dict[int, int] = defaultdict(int)
    # Columns, not engagement objects: the queue page asks this on every view.
    of_engagement: dict[int, tuple[Coach, bool]] = {}
    for engagement_id, coach_id, status in engagements:
        coach = by_id.get(coach_id)
        if coach is None:
            continue
        is_draft = status == EngagementStatus.DRAFT
        of_engagement[engagement_id] = (coach, is_draft)
        if not is_draft:
            active[coach.id] += 1
        if coach.level == Level.TRAINEE and coach.supervisor_id is not None:
            (trainee_draft if is_draft else trainee_active)[coach.supervisor_id] += 1
    for engagement_id, start, end in live_session_rows(db, programme, now, LIVE_SESSION_STATES):
        if engagement_id not in of_engagement:
            continue
        coach, is_draft = of_engagement[engagement_id]
        if next_of[coach.id] is not None and start >= next_of[coach.id]:
            continue
        (drafted if is_draft else booked)[coach.id] += (end - start).total_seconds() / 3600

    supervisors = list(
        db.scalars(select(Supervisor).where(Supervisor.programme_id == programme.id).order_by(Supervisor.name))
    )
    loads = [
        SupervisorLoad(
            supervisor=s,
            trainees=[c for c in coaches if c.supervisor_id == s.id and c.level == Level.TRAINEE],
            active_trainee_engagements=trainee_active[s.id],
            draft_trainee_engagements=trainee_draft[s.id],
        )
        for s in supervisors
    ]
    load_of = {load.supervisor.id: load for load in loads}
    session_hours = programme.session_minutes / 60

    lines = []
    for coach in coaches:
        line = CoachSupervision(
            coach=coach,
            max_hours=max_hours_for(programme, coach.level),
            recorded_hours=held[coach.id].total,
            booked_hours=round(booked[coach.id], 2),
            draft_hours=round(drafted[coach.id], 2),
            active_coachees=active[coach.id],
            next_supervision=next_of[coach.id],
            supervised_at=held[coach.id].since,
        )
        line.blocked_reasons = _blocked_reasons(line, load_of, session_hours)
        lines.append(line)
    return SupervisionLedger(lines, loads)


def _blocked_reasons(line: CoachSupervision, load_of: dict[int, SupervisorLoad], session_hours: float) -> list[str]:
    coach = line.coach
    reasons = []
    if not coach.active:
        reasons.append("deactivated")
    if line.remaining_hours < session_hours:
        when = f" before the supervision on {line.next_supervision:%Y-%m-%d}" if line.next_supervision else ""
        reasons.append(
            f"supervision ratio: {line.committed_hours:g} of {line.max_hours:g} hours used{when}; "
            "plan a supervision before more sessions"
        )
    if coach.level == Level.TRAINEE:
        load = load_of.get(coach.supervisor_id) if coach.supervisor_id is not None else None
        if load is None:
            reasons.append("trainee without a supervisor: set one under Coaches")
        elif load.full:
            reasons.append(
                f"supervisor {load.supervisor.name} is full: {load.active_trainee_engagements} of "
                f"{load.max} trainee engagements"
            )
    if line.active_coachees >= coach.max_active_coachees:
        reasons.append(f"at capacity: {line.active_coachees} of {coach.max_active_coachees} coachees at once")
    if coach.max_sessions_per_week == 0 or coach.max_sessions_per_day == 0:
        reasons.append("session cap is 0")
    if not coach.availability:
        reasons.append("no weekly availability")
    return reasons


# --- load: sessions per ISO week against the cap ---------------------------------------


@dataclass(frozen=True)
class Week:
    """An ISO week: (year, number) and its Monday."""

    year: int
    number: int
    monday: dt.date

    @property
    def key(self) -> tuple[int, int]:
        return (self.year, self.number)

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"


@dataclass
class WeekLoad:
    week: Week
    scheduled: int
    draft: int
    cap: int
    coachees: int = 0  # most engagements running at one moment of the week
    coachee_cap: int = 0

    @property
    def total(self) -> int:
        return self.scheduled + self.draft

    @property
    def over(self) -> bool:
        return self.total > self.cap

    @property
    def percent(self) -> int:
        """Share of the cap in use, 0-100 (capped, for drawing a bar)."""
        if self.cap <= 0:
            return 100 if self.total else 0
        return min(100, round(100 * self.total / self.cap))


@dataclass
class CoachLoad:
    coach: Coach
    weeks: list[WeekLoad]

    @property
    def peak(self) -> int:
        return max((w.total for w in self.weeks), default=0)


@dataclass
class LoadChart:
    weeks: list[Week]
    coaches: list[CoachLoad]


def horizon_weeks(programme: Programme) -> list[Week]:
    """The ISO weeks the programme's horizon touches, in order."""
    monday = programme.horizon_start - dt.timedelta(days=programme.horizon_start.weekday())
    weeks = []
    while monday <= programme.horizon_end:
        year, number, _ = monday.isocalendar()
        weeks.append(Week(year, number, monday))
        monday += dt.timedelta(days=7)
    return weeks


def _at_once(spans: list[tuple[dt.datetime, dt.datetime]], week: Week, zone: ZoneInfo) -> int:
    """Most engagements ([first start, last end)) running at one moment of the coach-local week."""
    begin = dt.datetime.combine(week.monday, dt.time(0), tzinfo=zone)
    end = begin + dt.timedelta(days=7)
    inside = [(a, b) for a, b in spans if a < end and b > begin]
    points = [begin, *(a for a, _ in inside if a > begin)]
    return max((sum(1 for a, b in inside if a <= t < b) for t in points), default=0)


def coach_load(db: Session, programme: Programme, *, include_drafts: bool = True) -> LoadChart:
    """Sessions per ISO week of each active coach (in the coach's own timezone, as the cap counts them),
    and the most coachees the coach has at once in that week (engagements from first session
    start to last session end)."""
    weeks = horizon_weeks(programme)
    coaches = _coaches(db, programme, include_inactive=False)
    states = LIVE_SESSION_STATES if include_drafts else (SessionStatus.SCHEDULED,)
    counts: dict[tuple[int, tuple[int, int], str], int] = defaultdict(int)
    zone_of = {c.id: ZoneInfo(c.timezone) for c in coaches}
    sessions = db.scalars(
        select(CoachingSession)
        .join(Engagement)
        .where(
            CoachingSession.coach_id.in_(zone_of),
            CoachingSession.status.in_(states),
            Engagement.status.in_((EngagementStatus.APPROVED, EngagementStatus.DRAFT)),
        )
    )
    spans: dict[int, tuple[int, dt.datetime, dt.datetime]] = {}  # engagement -> (coach, first start, last end)
    for session in sessions:
        year, number, _ = session.start_utc.astimezone(zone_of[session.coach_id]).isocalendar()
        counts[(session.coach_id, (year, number), session.status)] += 1
        _, first, last = spans.get(session.engagement_id, (0, session.start_utc, session.end_utc))
        spans[session.engagement_id] = (session.coach_id, min(first, session.start_utc), max(last, session.end_utc))
    running: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for coach_id, first, last in spans.values():
        running[coach_id].append((first, last))
    rows = [
        CoachLoad(
            coach=coach,
            weeks=[
                WeekLoad(
                    week=week,
                    scheduled=counts[(coach.id, week.key, SessionStatus.SCHEDULED)],
                    draft=counts[(coach.id, week.key, SessionStatus.DRAFT)],
                    cap=coach.max_sessions_per_week,
                    coachees=_at_once(running[coach.id], week, zone_of[coach.id]),
                    coachee_cap=coach.max_active_coachees,
                )
                for week in weeks
            ],
        )
        for coach in coaches
    ]
    return LoadChart(weeks, rows)


# --- calendar of all sessions ------------------------------------------------------------


@dataclass(frozen=True)
class CalendarEntry:
    session: CoachingSession
    coach: Coach
    request: CoachingRequest
    local_start: dt.datetime  # in the calendar's timezone
    local_end: dt.datetime
    draft: bool


@dataclass
class CalendarDay:
    date: dt.date
    entries: list[CalendarEntry]


@dataclass
class SessionCalendar:
    timezone: str
    start: dt.date
    end: dt.date  # inclusive
    days: list[CalendarDay]

    @property
    def count(self) -> int:
        return sum(len(day.entries) for day in self.days)


def session_calendar(
    db: Session,
    programme: Programme,
    *,
    timezone: str | None = None,
    start: dt.date | str | None = None,
    days: int | str = 28,
    include_drafts: bool = False,
) -> SessionCalendar:
    """Every session of the programme from `start` for `days` days, by local date in `timezone`
    (default: the programme's), in time order. `start` and `days` may be the text a person typed."""
    errors: dict[str, str] = {}
    timezone = timezone or programme.timezone
    if not valid_timezone(timezone):
        errors["timezone"] = f"{timezone!r} is not a known timezone (e.g. Europe/Brussels)"
    if isinstance(start, str):
        try:
            start = dt.date.fromisoformat(start.strip()) if start.strip() else None
        except ValueError:
            errors["start"] = "must be a date (YYYY-MM-DD)"
            start = None
    days = as_int(days, "days", 1, 366, errors, 28)
    if errors:
        raise InvalidInput("The calendar cannot be shown.", errors)
    zone = ZoneInfo(timezone)
    start = start or utcnow().astimezone(zone).date()
    if start.year < 1900 or start.year > 9000:
        raise InvalidInput("The calendar cannot be shown.", {"start": "must be a date between 1900 and 9000"})
    end = start + dt.timedelta(days=days - 1)
    first = dt.datetime.combine(start, dt.time(0), tzinfo=zone).astimezone(dt.UTC)
    last = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=zone).astimezone(dt.UTC)
    states = LIVE_SESSION_STATES if include_drafts else (SessionStatus.SCHEDULED,)
    sessions = db.scalars(
        select(CoachingSession)
        .join(Engagement)
        .join(CoachingRequest)
        .where(
            CoachingRequest.programme_id == programme.id,
            CoachingSession.status.in_(states),
            Engagement.status.in_((EngagementStatus.APPROVED, EngagementStatus.DRAFT)),
            CoachingSession.start_utc >= first,
            CoachingSession.start_utc < last,
        )
        .options(
            selectinload(CoachingSession.coach),
            selectinload(CoachingSession.engagement).selectinload(Engagement.request),
        )
        .order_by(CoachingSession.start_utc, CoachingSession.id)
    )
    by_day: dict[dt.date, list[CalendarEntry]] = defaultdict(list)
    for session in sessions:
        local_start = session.start_utc.astimezone(zone)
        by_day[local_start.date()].append(
            CalendarEntry(
                session=session,
                coach=session.coach,
                request=session.engagement.request,
                local_start=local_start,
                local_end=session.end_utc.astimezone(zone),
                draft=session.status == SessionStatus.DRAFT,
            )
        )
    return SessionCalendar(timezone, start, end, [CalendarDay(d, by_day[d]) for d in sorted(by_day)])
