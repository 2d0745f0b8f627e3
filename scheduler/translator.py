"""The translator between the programme's database and the solver's contract.

`build_instance` writes the `coaching-instance/1` JSON document (docs/solver-contract.md)
from the database; ids are `c<coach id>`, `r<request id>`
and `s<supervisor id>`, so `coach_pk` / `request_pk` read them back.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from typing import Any

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
    RequestStatus,
    SessionStatus,
    Supervisor,
)
from scheduler.weekly import WEEKDAYS, from_time

INSTANCE_FORMAT = "coaching-instance/1"
# Requests whose approved engagement still takes a coach's place.
OPEN_REQUEST_STATES = (RequestStatus.PROPOSED.value, RequestStatus.CONFIRMED.value)


def coach_ref(coach_id: int) -> str:
    return f"c{coach_id}"


def request_ref(request_id: int) -> str:
    return f"r{request_id}"


def supervisor_ref(supervisor_id: int) -> str:
    return f"s{supervisor_id}"


def coach_pk(ref: str) -> int:
    return int(ref.removeprefix("c"))


def request_pk(ref: str) -> int:
    return int(ref.removeprefix("r"))


_COACH_REF = re.compile(r"\bc(\d+)\b")


def name_coaches(text: str, names: dict[int, str]) -> str:
    """The solver's text with coach ids (`c12`) replaced by the coaches' names."""
    return _COACH_REF.sub(lambda m: names.get(int(m.group(1)), m.group(0)), text)


def _instant(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _span(start: dt.time, end: dt.time) -> list[str]:
    return [from_time(start), from_time(end)]


def _weekly(coach: Coach) -> dict[str, list[list[str]]]:
    weekly: dict[str, list[list[str]]] = defaultdict(list)
    for rule in coach.availability:
        weekly[WEEKDAYS[rule.weekday]].append(_span(rule.start, rule.end))
    return {day: sorted(spans) for day, spans in weekly.items()}


def _overrides(coach: Coach) -> list[dict[str, Any]]:
    by_date: dict[dt.date, list[list[str]]] = defaultdict(list)
    for exception in coach.exceptions:
        spans = by_date[exception.date]
        if exception.start is not None and exception.end is not None:
            spans.append(_span(exception.start, exception.end))
    return [{"date": day.isoformat(), "intervals": sorted(spans)} for day, spans in sorted(by_date.items())]


def _approved_engagements(db: Session, programme: Programme) -> list[Engagement]:
    return list(
        db.scalars(
            select(Engagement)
            .join(CoachingRequest)
            .where(
                CoachingRequest.programme_id == programme.id,
                Engagement.status == EngagementStatus.APPROVED.value,
                CoachingRequest.status.in_(OPEN_REQUEST_STATES),
            )
            .options(selectinload(Engagement.coach), selectinload(Engagement.sessions))
        )
    )


def _request_json(request: CoachingRequest, coach_ids: set[int]) -> dict[str, Any]:
    # Inactive coaches are not in the instance, so references to them are dropped.
    return {
        "id": request_ref(request.id),
        "timezone": request.timezone,
        "languages": request.languages,
        "topics": request.topics,
        "organisation": request.organisation,
        "sessions": request.sessions_wanted,
        "session_minutes": request.session_minutes,
        "min_gap_days": request.min_gap_days,
        "max_gap_days": request.max_gap_days,
        "earliest_start": request.earliest_start.isoformat(),
        "windows": request.windows,
        "priority": request.priority,
        "submitted_at": _instant(request.submitted_at),
        "sensitive": request.sensitive,
        "preferred_coaches": [coach_ref(c) for c in request.preferred_coach_ids if c in coach_ids],
        "excluded_coaches": [coach_ref(c) for c in request.excluded_coach_ids if c in coach_ids],
        "pinned_coach": coach_ref(request.pinned_coach_id) if request.pinned_coach_id else None,
    }


def waiting_requests(db: Session, programme: Programme) -> list[CoachingRequest]:
    """The queue: waiting requests, highest priority and longest waiting first."""
    return list(
        db.scalars(
            select(CoachingRequest)
            .where(CoachingRequest.programme_id == programme.id, CoachingRequest.status == RequestStatus.WAITING.value)
            .order_by(CoachingRequest.priority.desc(), CoachingRequest.submitted_at)
        )
    )


def build_instance(db: Session, programme: Programme, now: dt.datetime) -> dict[str, Any]:
    """The solver instance for every waiting request of `programme` at the moment `now`."""
    coaches = list(
        db.scalars(
            select(Coach)
            .where(Coach.programme_id == programme.id, Coach.active.is_(True))
            .options(selectinload(Coach.availability), selectinload(Coach.exceptions), selectinload(Coach.busy))
            .order_by(Coach.id)
        )
    )
    coach_ids = {coach.id for coach in coaches}
    approved = _approved_engagements(db, programme)
    active_coachees: dict[int, int] = defaultdict(int)
    trainee_engagements: dict[int, int] = defaultdict(int)
    # With capacity over time, each running engagement is passed with the end of its last
    # session, so that the coach (and a trainee's supervisor) has room again from then.
    running_ends: dict[int, list[str]] = defaultdict(list)
    trainee_ends: dict[int, list[str]] = defaultdict(list)
    for engagement in approved:
        active_coachees[engagement.coach_id] += 1
        trainee = engagement.coach.level == Level.TRAINEE.value and engagement.coach.supervisor_id
        if trainee:
            trainee_engagements[engagement.coach.supervisor_id] += 1
        ends = [s.end_utc for s in engagement.sessions if s.status != SessionStatus.CANCELLED.value]
        if ends and max(ends) > now:
            running_ends[engagement.coach_id].append(_instant(max(ends)))
            if trainee:
                trainee_ends[engagement.coach.supervisor_id].append(_instant(max(ends)))
    over_time = bool(programme.capacity_over_time)

    scheduled = db.scalars(
        select(CoachingSession).where(
            CoachingSession.status == SessionStatus.SCHEDULED.value, CoachingSession.coach_id.in_(coach_ids)
        )
    )
    busy: dict[int, list[dict[str, Any]]] = defaultdict(list)
    next_supervision = {coach.id: coach.next_supervision for coach in coaches}
    # Rule 10 counts only the solver's new sessions, so approved sessions still to come
    # before the coach's next supervision are added to the hours already coached.
    booked_hours: dict[int, float] = defaultdict(float)
    for session in scheduled:
        busy[session.coach_id].append({"start": _instant(session.start_utc), "end": _instant(session.end_utc), "session": True})
        until = next_supervision[session.coach_id]
        if session.start_utc >= now and (until is None or session.start_utc < until):
            booked_hours[session.coach_id] += (session.end_utc - session.start_utc).total_seconds() / 3600
    for coach in coaches:
        busy[coach.id].extend(
            {"start": _instant(b.start_utc), "end": _instant(b.end_utc), "session": False} for b in coach.busy
        )

    supervisors = db.scalars(select(Supervisor).where(Supervisor.programme_id == programme.id).order_by(Supervisor.id))
    # A request pinned to an inactive coach cannot be served; the solving service says so.
    requests = [r for r in waiting_requests(db, programme) if r.pinned_coach_id in (None, *coach_ids)]
    current = []
    for request in requests:
        for engagement in request.engagements:
            if engagement.status == EngagementStatus.DRAFT.value and engagement.coach_id in coach_ids:
                current.append(
                    {
                        "request": request_ref(request.id),
                        "coach": coach_ref(engagement.coach_id),
                        "sessions": [{"start": _instant(s.start_utc), "end": _instant(s.end_utc)} for s in engagement.sessions],
                    }
                )

    return {
        "format": INSTANCE_FORMAT,
        "now": _instant(now),
        "horizon": {"start": programme.horizon_start.isoformat(), "end": programme.horizon_end.isoformat()},
        "timezone": programme.timezone,
        "slot_minutes": programme.slot_minutes,
        "min_notice_hours": programme.min_notice_hours,
        "capacity_over_time": over_time,
        "supervision": {
            "max_hours_between": {
                "trainee": programme.max_hours_trainee,
                "accredited": programme.max_hours_accredited,
                "senior": programme.max_hours_senior,
            }
        },
        "supervisors": [
            {
                "id": supervisor_ref(s.id),
                "max_trainee_engagements": s.max_trainee_engagements,
                "active_trainee_engagements": trainee_engagements[s.id],
            }
            | ({"active_trainee_engagements_end": sorted(trainee_ends[s.id])} if over_time else {})
            for s in supervisors
        ],
        "coaches": [
            {
                "id": coach_ref(coach.id),
                "timezone": coach.timezone,
                "languages": coach.languages,
                "topics": coach.topics,
                "level": coach.level,
                "supervisor": supervisor_ref(coach.supervisor_id) if coach.supervisor_id else None,
                "organisation": coach.organisation,
                "max_active_coachees": coach.max_active_coachees,
                "active_coachees": active_coachees[coach.id],
                "max_sessions_per_week": coach.max_sessions_per_week,
                "max_sessions_per_day": coach.max_sessions_per_day,
                "buffer_minutes": coach.buffer_minutes,
                "weekly": _weekly(coach),
                "overrides": _overrides(coach),
                "busy": sorted(busy[coach.id], key=lambda b: b["start"]),
                "coaching_hours_since_supervision": coach.coaching_hours_since_supervision + booked_hours[coach.id],
                "next_supervision": _instant(coach.next_supervision) if coach.next_supervision else None,
                "excluded_requests": [],
            }
            | ({"active_engagements_end": sorted(running_ends[coach.id])} if over_time else {})
            for coach in coaches
        ],
        "requests": [_request_json(r, coach_ids) for r in requests],
        "current": current,
    }
