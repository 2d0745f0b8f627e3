"""Use cases of group supervision: settings, planning, review and approval, attendance.

Planning asks the supervision planner in `solver.supervision` (the hard rules live there);
this module only turns the programme into its instance and its plan back into rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from scheduler import queries
from scheduler.models import (
    BusyTime,
    Coach,
    CoachingSession,
    Programme,
    SessionStatus,
    Supervisor,
    utcnow,
)
from scheduler.models import utc_text as _instant
from scheduler.services.errors import Conflict, InvalidInput, NotFound, found
from scheduler.services.fields import as_int, valid_timezone
from scheduler.services.supervision_sessions.letters import INVITATION
from scheduler.services.supervision_sessions.models import (
    SupervisionParticipant,
    SupervisionSession,
    SupervisionSettings,
    SupervisionStatus,
)
from scheduler.services.supervision_sessions.queries import hours_since_supervision
from scheduler.translator import _overrides, _weekly
from scheduler.weekly import WindowError, format_weekly, parse_weekly
from solver.supervision.codec import parse_instance
from solver.supervision.domain import SupervisionPlan
from solver.supervision.model import solve
from solver.supervision.validate import validate

DEFAULT_WEEKLY = {"wed": [["10:00", "12:00"]], "thu": [["14:00", "16:00"]]}


def settings_for(db: Session, supervisor: Supervisor, programme: Programme) -> SupervisionSettings:
    """The supervisor's planning settings (defaults until saved: 90 minutes, groups of up to 4)."""
    found = db.get(SupervisionSettings, supervisor.id)
    if found is not None:
        return found
    return SupervisionSettings(
        supervisor_id=supervisor.id,
        timezone=programme.timezone,
        weekly=DEFAULT_WEEKLY,
        session_minutes=90,
        max_group_size=4,
    )


def weekly_text(settings: SupervisionSettings) -> str:
    return format_weekly(settings.weekly)


def weekly_field(data: Mapping[str, Any], errors: dict[str, str], example: str) -> dict[str, list[list[str]]]:
    """The weekly times a person typed (`wed 10:00-12:00; thu 18:00-21:00`); a problem goes under "weekly"."""
    try:
        weekly = parse_weekly(str(data.get("weekly", "")))
    except WindowError as exc:
        errors["weekly"] = str(exc)
        return {}
    if not weekly:
        errors["weekly"] = f"give at least one weekly time, e.g. {example}"
    return weekly


def save_settings(db: Session, supervisor: Supervisor, programme: Programme, form: Mapping[str, Any]) -> SupervisionSettings:
    """The supervisor's free time (`wed 10:00-12:00; thu 14:00-16:00`), timezone, session length and group size."""
    errors: dict[str, str] = {}
    timezone = str(form.get("timezone", "")).strip()
    if not valid_timezone(timezone):
        errors["timezone"] = "must be a known timezone, e.g. Europe/Brussels"
    weekly = weekly_field(form, errors, "wed 10:00-12:00")
    minutes = as_int(form.get("session_minutes"), "session_minutes", 15, 480, errors, 90)
    size = as_int(form.get("max_group_size"), "max_group_size", 1, 20, errors, 4)
    if errors:
        raise InvalidInput("The supervision settings were not saved.", errors)
    settings = settings_for(db, supervisor, programme)
    settings.timezone, settings.weekly, settings.session_minutes, settings.max_group_size = timezone, weekly, minutes, size
    db.add(settings)
    db.flush()
    return settings


def supervised_coaches(db: Session, programme: Programme, supervisor: Supervisor) -> list[Coach]:
    """Active coaches this supervisor supervises: theirs, and those with no supervisor named."""
    return list(
        db.scalars(
            select(Coach)
            .where(
                Coach.programme_id == programme.id,
                Coach.active.is_(True),
                (Coach.supervisor_id == supervisor.id) | Coach.supervisor_id.is_(None),
            )
            .options(selectinload(Coach.availability), selectinload(Coach.exceptions), selectinload(Coach.busy))
            .order_by(Coach.id)
        )
    )


def _span(start: dt.datetime, end: dt.datetime) -> dict[str, str]:
    return {"start": _instant(start), "end": _instant(end)}


def build_supervision_instance(
    db: Session,
    programme: Programme,
    supervisor: Supervisor,
    now: dt.datetime,
    *,
    horizon_end: dt.date | None = None,
) -> dict[str, Any]:
    """The `supervision-instance/1` document for `supervisor` at `now` (docs/planners.md)."""
    settings = settings_for(db, supervisor, programme)
    coaches = supervised_coaches(db, programme, supervisor)
    held = hours_since_supervision(db, coaches, now)
    ids = [c.id for c in coaches]
    coaching: dict[int, list[CoachingSession]] = {i: [] for i in ids}
    for session in db.scalars(
        select(CoachingSession)
        .where(
            CoachingSession.coach_id.in_(ids),
            CoachingSession.status == SessionStatus.SCHEDULED.value,
            CoachingSession.start_utc >= now,
        )
        .order_by(CoachingSession.start_utc)
    ):
        coaching[session.coach_id].append(session)
    # Supervision sessions already approved are the supervisor's and their coaches' busy time.
    approved = list(
        db.scalars(
            select(SupervisionSession)
            .where(
                SupervisionSession.supervisor_id == supervisor.id,
                SupervisionSession.status == SupervisionStatus.APPROVED.value,
                SupervisionSession.end_utc > now,
            )
            .options(selectinload(SupervisionSession.participants))
        )
    )
    busy_by_coach: dict[int, list[dict[str, str]]] = {i: [] for i in ids}
    for supervision in approved:
        for p in supervision.participants:
            if p.coach_id in busy_by_coach:
                busy_by_coach[p.coach_id].append(_span(supervision.start_utc, supervision.end_utc))
    end = horizon_end or programme.horizon_end
    start = max(programme.horizon_start, now.date())
    return {
        "format": "supervision-instance/1",
        "now": _instant(now),
        "horizon": {"start": start.isoformat(), "end": max(end, start).isoformat()},
        "timezone": programme.timezone,
        "slot_minutes": programme.slot_minutes,
        "min_notice_hours": programme.min_notice_hours,
        "session_minutes": settings.session_minutes,
        "max_group_size": settings.max_group_size,
        "supervisor": {
            "timezone": settings.timezone,
            "weekly": settings.weekly,
            "busy": [_span(s.start_utc, s.end_utc) for s in approved],
        },
        "coaches": [
            {
                "id": str(coach.id),
                "timezone": coach.timezone,
                "weekly": _weekly(coach),
                "overrides": _overrides(coach),
                "busy": [_span(b.start_utc, b.end_utc) for b in coach.busy if isinstance(b, BusyTime)]
                + busy_by_coach[coach.id],
                "max_hours": queries.max_hours_for(programme, coach.level),
                "held_hours": held[coach.id].total,
                "sessions": [_span(s.start_utc, s.end_utc) for s in coaching[coach.id]],
            }
            for coach in coaches
        ],
    }


@dataclass
class PlanResult:
    plan: SupervisionPlan
    sessions: list[SupervisionSession]
    left_out: list[tuple[Coach, list[str]]]
    problems: list[str]  # what the validator still finds: only the hours of coaches left out


def plan_supervision(
    db: Session,
    programme: Programme,
    supervisor: Supervisor,
    *,
    now: dt.datetime | None = None,
    horizon_end: dt.date | None = None,
    time_limit: float = 10.0,
) -> PlanResult:
    """Replace the supervisor's proposed sessions with the planner's proposal, for review."""
    now = now or utcnow()
    document = build_supervision_instance(db, programme, supervisor, now, horizon_end=horizon_end)
    instance = parse_instance(document)
    plan = solve(instance, time_limit=time_limit)
    for old in db.scalars(
        select(SupervisionSession).where(
            SupervisionSession.supervisor_id == supervisor.id,
            SupervisionSession.status == SupervisionStatus.PROPOSED.value,
        )
    ):
        db.delete(old)
    db.flush()
    rows = []
    for proposed in plan.sessions:
        row = SupervisionSession(
            supervisor_id=supervisor.id,
            start_utc=proposed.start,
            end_utc=proposed.end,
            status=SupervisionStatus.PROPOSED.value,
            created_at=now,
        )
        row.participants = [SupervisionParticipant(coach_id=int(cid)) for cid in proposed.coaches]
        db.add(row)
        rows.append(row)
    db.flush()
    coaches = {str(c.id): c for c in supervised_coaches(db, programme, supervisor)}
    left = [(coaches[x.who], list(x.reasons)) for x in plan.left_out if x.who in coaches]
    return PlanResult(plan, rows, left, validate(instance, plan))


def sessions_of(db: Session, supervisor: Supervisor, *statuses: SupervisionStatus) -> list[SupervisionSession]:
    return list(
        db.scalars(
            select(SupervisionSession)
            .where(
                SupervisionSession.supervisor_id == supervisor.id,
                SupervisionSession.status.in_([s.value for s in statuses]),
            )
            .options(selectinload(SupervisionSession.participants))
            .order_by(SupervisionSession.start_utc)
        )
    )


def _session_of(db: Session, supervisor: Supervisor, session_id: int) -> SupervisionSession:
    session = db.get(SupervisionSession, session_id)
    if session is None or session.supervisor_id != supervisor.id:
        raise NotFound("No such supervision session.")
    return session


def approve(db: Session, supervisor: Supervisor, session_ids: Iterable[int] | None = None, *, now: dt.datetime | None = None) -> list[SupervisionSession]:
    """Approve proposed sessions (all of them when `session_ids` is None) and invite their coaches."""
    now = now or utcnow()
    proposed = sessions_of(db, supervisor, SupervisionStatus.PROPOSED)
    chosen = [s for s in proposed if session_ids is None or s.id in set(session_ids)]
    if session_ids is not None and len(chosen) != len(set(session_ids)):
        raise Conflict("A session is no longer proposed: plan again or reload the page.")
    for session in chosen:
        session.status, session.approved_at = SupervisionStatus.APPROVED.value, now
        for participant in session.participants:
            coach = db.get_one(Coach, participant.coach_id)
            queries.queue_once(db, f"v{session.id}:{coach.email.lower()}", coach.email, "coach", INVITATION,
                               {"supervision_session_id": session.id}, sequence=session.sequence)
    db.flush()
    return chosen


def record_attendance(
    db: Session, supervisor: Supervisor, session_id: int, attended: Iterable[int], *, now: dt.datetime | None = None
) -> SupervisionSession:
    """The supervisor records who came: each coach who did starts counting hours afresh from its end."""
    now = now or utcnow()
    session = _session_of(db, supervisor, session_id)
    if session.status != SupervisionStatus.APPROVED.value:
        raise InvalidInput("Only an approved session can have attendance.", {"session": "not approved"})
    if session.start_utc > now:
        raise InvalidInput("Record attendance once the session has started.", {"session": "has not started"})
    came = set(coach_ids_from(attended))
    for participant in session.participants:
        participant.attended = participant.coach_id in came
        participant.recorded_at = now
        if participant.attended:
            coach = db.get_one(Coach, participant.coach_id)
            # Hours carried from before attendance was recorded are now supervised.
            coach.coaching_hours_since_supervision = 0.0
            if coach.next_supervision is not None and coach.next_supervision <= session.end_utc:
                coach.next_supervision = None
    db.flush()
    return session


def coach_ids_from(values: Iterable[Any]) -> list[int]:
    out = []
    for value in values:
        try:
            out.append(int(value))
        except (TypeError, ValueError):
            raise InvalidInput("Choose coaches from the list.", {"attended": f"{value!r} is not a coach"}) from None
    return out


def coach_supervisions(db: Session, coach_id: int, now: dt.datetime | None = None) -> list[SupervisionSession]:
    """A coach's approved supervision sessions still to come."""
    now = now or utcnow()
    return list(
        db.scalars(
            select(SupervisionSession)
            .join(SupervisionParticipant, SupervisionParticipant.supervision_session_id == SupervisionSession.id)
            .where(
                SupervisionParticipant.coach_id == coach_id,
                SupervisionSession.status == SupervisionStatus.APPROVED.value,
                SupervisionSession.end_utc >= now,
            )
            .order_by(SupervisionSession.start_utc)
        )
    )


def supervisor_for_user(db: Session, user_id: int) -> Supervisor:
    return found(
        db.scalar(select(Supervisor).where(Supervisor.user_id == user_id)),
        "Your account is not linked to a supervisor.",
    )


def coach_names(db: Session, sessions: Iterable[SupervisionSession]) -> dict[int, str]:
    ids = {p.coach_id for s in sessions for p in s.participants}
    return {c.id: c.name for c in db.scalars(select(Coach).where(Coach.id.in_(ids)))} if ids else {}
