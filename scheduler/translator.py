"""The translator between the programme's database and the solver's contract.

`build_instance` writes the `coaching-instance/1` JSON document (docs/solver-contract.md)
from the database; ids are `c<coach id>`, `r<request id>`
and `s<supervisor id>`, so `coach_pk` / `request_pk` read them back.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from scheduler.models import (
    Coach,
    CoachingRequest,
    CoachingSession,
    EngagementStatus,
    Level,
    Programme,
    SessionStatus,
    Supervisor,
    utc_text,
)
from scheduler.queries import live_engagements, waiting_requests
from scheduler.weekly import WEEKDAYS, from_time

INSTANCE_FORMAT = "coaching-instance/1"
# Requests whose approved engagement still takes a coach's place.


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
        "submitted_at": utc_text(request.submitted_at),
        "sensitive": request.sensitive,
        "preferred_coaches": [coach_ref(c) for c in request.preferred_coach_ids if c in coach_ids],
        "excluded_coaches": [coach_ref(c) for c in request.excluded_coach_ids if c in coach_ids],
        "pinned_coach": coach_ref(request.pinned_coach_id) if request.pinned_coach_id else None,
        # A supervisor's pin means "place this one with this coach": served before any weight.
        "required": request.pinned_coach_id is not None,
    }


def _programme_json(programme: Programme, now: dt.datetime) -> dict[str, Any]:
    """The instance's programme-wide part."""
    return {
        "format": INSTANCE_FORMAT,
        "now": utc_text(now),
        "horizon": {"start": programme.horizon_start.isoformat(), "end": programme.horizon_end.isoformat()},
        "timezone": programme.timezone,
        "slot_minutes": programme.slot_minutes,
        "min_notice_hours": programme.min_notice_hours,
        "supervision": {
            "max_hours_between": {
                "trainee": programme.max_hours_trainee,
                "accredited": programme.max_hours_accredited,
                "senior": programme.max_hours_senior,
            }
        },
    }


def _coach_json(
    coach: Coach,
    active_coachees: int,
    busy: list[dict[str, Any]],
    hours_since_supervision: float,
    next_supervision: dt.datetime | None,
) -> dict[str, Any]:
    return {
        "id": coach_ref(coach.id),
        "timezone": coach.timezone,
        "languages": coach.languages,
        "topics": coach.topics,
        "level": coach.level,
        "supervisor": supervisor_ref(coach.supervisor_id) if coach.supervisor_id else None,
        "organisation": coach.organisation,
        "max_active_coachees": coach.max_active_coachees,
        "active_coachees": active_coachees,
        "max_sessions_per_week": coach.max_sessions_per_week,
        "max_sessions_per_day": coach.max_sessions_per_day,
        "buffer_minutes": coach.buffer_minutes,
        "weekly": _weekly(coach),
        "overrides": _overrides(coach),
        "busy": sorted(busy, key=lambda b: b["start"]),
        "coaching_hours_since_supervision": round(hours_since_supervision, 4),
        "next_supervision": utc_text(next_supervision) if next_supervision else None,
        "excluded_requests": [],
    }


def build_instance(
    db: Session,
    programme: Programme,
    now: dt.datetime,
    *,
    hours_since_supervision: Mapping[int, float] | None = None,
    planned_supervisions: Mapping[int, dt.datetime] | None = None,
) -> dict[str, Any]:
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
    approved = live_engagements(db, programme)
    active_coachees: dict[int, int] = defaultdict(int)
    trainee_engagements: dict[int, int] = defaultdict(int)
    # With capacity over time, each running engagement is passed with the end of its last
    # session, so that the coach (and a trainee's supervisor) has room again from then.
    running_ends: dict[int, list[str]] = defaultdict(list)
    trainee_ends: dict[int, list[str]] = defaultdict(list)
    for engagement in approved:
        active_coachees[engagement.coach_id] += 1
        trainee = engagement.coach.level == Level.TRAINEE and engagement.coach.supervisor_id
        if trainee:
            trainee_engagements[engagement.coach.supervisor_id] += 1
        ends = [s.end_utc for s in engagement.sessions if s.status != SessionStatus.CANCELLED]
        if ends and max(ends) > now:
            running_ends[engagement.coach_id].append(utc_text(max(ends)))
            if trainee:
                trainee_ends[engagement.coach.supervisor_id].append(utc_text(max(ends)))
    over_time = bool(programme.capacity_over_time)

    scheduled = db.scalars(
        select(CoachingSession).where(
            CoachingSession.status == SessionStatus.SCHEDULED, CoachingSession.coach_id.in_(coach_ids)
        )
    )
    busy: dict[int, list[dict[str, Any]]] = defaultdict(list)
    # Hours since supervision and the next group supervision come from the attendance and
    # supervision features (the solve service reads them; the translator imports no service).
    # Without them, the hours and next supervision recorded on each coach stand.
    hours = {c.id: (hours_since_supervision or {}).get(c.id, c.coaching_hours_since_supervision) for c in coaches}
    planned = planned_supervisions or {}
    next_supervision = {
        coach.id: min((t for t in (coach.next_supervision, planned.get(coach.id)) if t is not None), default=None)
        for coach in coaches
    }
    # Rule 10 counts only the solver's new sessions, so approved sessions still to come
    # before the coach's next supervision are added to the hours already coached.
    booked_hours: dict[int, float] = defaultdict(float)
    for session in scheduled:
        busy[session.coach_id].append({"start": utc_text(session.start_utc), "end": utc_text(session.end_utc), "session": True})
        until = next_supervision[session.coach_id]
        if session.start_utc >= now and (until is None or session.start_utc < until):
            booked_hours[session.coach_id] += (session.end_utc - session.start_utc).total_seconds() / 3600
    for coach in coaches:
        busy[coach.id].extend(
            {"start": utc_text(b.start_utc), "end": utc_text(b.end_utc), "session": False} for b in coach.busy
        )

    supervisors = db.scalars(select(Supervisor).where(Supervisor.programme_id == programme.id).order_by(Supervisor.id))
    # A request pinned to an inactive coach cannot be served; the solving service says so.
    requests = [r for r in waiting_requests(db, programme) if r.pinned_coach_id in (None, *coach_ids)]
    current = []
    for request in requests:
        for engagement in request.engagements:
            if engagement.status == EngagementStatus.DRAFT and engagement.coach_id in coach_ids:
                current.append(
                    {
                        "request": request_ref(request.id),
                        "coach": coach_ref(engagement.coach_id),
                        "sessions": [{"start": utc_text(s.start_utc), "end": utc_text(s.end_utc)} for s in engagement.sessions],
                    }
                )

    return {
        **_programme_json(programme, now),
        "capacity_over_time": over_time,
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
            _coach_json(
                coach,
                active_coachees[coach.id],
                busy[coach.id],
                hours[coach.id] + booked_hours[coach.id],
                next_supervision[coach.id],
            )
            | ({"active_engagements_end": sorted(running_ends[coach.id])} if over_time else {})
            for coach in coaches
        ],
        "requests": [_request_json(r, coach_ids) for r in requests],
        "current": current,
    }


@dataclass(frozen=True)
class MoveQuestion:
    """Where may one session of an approved engagement go? Asked of `solver.alternatives`.

    `instance` holds the engagement's request and coach alone. Sessions of the engagement
    already within the notice period (held or about to be) are the coach's busy time, and
    `engagement` lists the rest, `index` being the session to move. `not_after` is the
    latest coachee-local date the moved session may take when a held session precedes it
    (its largest gap), which the instance cannot say.
    """

    instance: dict[str, Any]
    engagement: dict[str, Any]
    index: int
    not_after: dt.date | None


def build_move_question(db: Session, session: CoachingSession, now: dt.datetime) -> MoveQuestion:
    """The solver instance for moving `session`, with the engagement and the session's place in it."""
    engagement = session.engagement
    request, coach = engagement.request, engagement.coach
    programme = db.get_one(Programme, request.programme_id)
    earliest = now + dt.timedelta(hours=programme.min_notice_hours)
    own = sorted(
        (s for s in engagement.sessions if s.status == SessionStatus.SCHEDULED), key=lambda s: s.start_utc
    )
    held = [s for s in own if s.start_utc < earliest and s.start_utc < session.start_utc]
    moving = [s for s in own if s not in held]
    own_ids = {s.id for s in moving}

    busy = [
        {"start": utc_text(s.start_utc), "end": utc_text(s.end_utc), "session": True}
        for s in db.scalars(
            select(CoachingSession).where(
                CoachingSession.coach_id == coach.id, CoachingSession.status == SessionStatus.SCHEDULED
            )
        )
        if s.id not in own_ids
    ]
    busy += [{"start": utc_text(b.start_utc), "end": utc_text(b.end_utc), "session": False} for b in coach.busy]
    # Rule 10 counts the engagement's sessions as new ones; the coach's other sessions still
    # to come before the next supervision are hours already promised.
    booked_hours = sum(
        (s.end_utc - s.start_utc).total_seconds() / 3600
        for s in db.scalars(
            select(CoachingSession).where(
                CoachingSession.coach_id == coach.id,
                CoachingSession.status == SessionStatus.SCHEDULED,
                CoachingSession.start_utc >= now,
            )
        )
        if s.id not in own_ids and (coach.next_supervision is None or s.start_utc < coach.next_supervision)
    )
    approved = live_engagements(db, programme)
    others = sum(1 for e in approved if e.coach_id == coach.id and e.id != engagement.id)
    # The engagement already holds its place: caps on engagements limit new ones, so a coach
    # whose cap was lowered since can still have a session moved.
    coach_doc = _coach_json(
        coach,
        min(others, coach.max_active_coachees - 1),
        busy,
        coach.coaching_hours_since_supervision + booked_hours,
        coach.next_supervision,
    )
    supervisors = []
    if coach.supervisor_id is not None and coach.supervisor is not None:
        trainees = sum(
            1
            for e in approved
            if e.id != engagement.id
            and e.coach.level == Level.TRAINEE.value
            and e.coach.supervisor_id == coach.supervisor_id
        )
        cap = coach.supervisor.max_trainee_engagements
        supervisors.append(
            {
                "id": supervisor_ref(coach.supervisor_id),
                "max_trainee_engagements": cap,
                "active_trainee_engagements": min(trainees, cap - 1),
            }
        )
    request_doc = _request_json(request, {coach.id})
    request_doc.update(
        required=False,
        sessions=len(moving),
        preferred_coaches=[],
        excluded_coaches=[],
        pinned_coach=coach_ref(coach.id),
    )
    not_after = None
    if held:
        zone = ZoneInfo(request.timezone)
        last_held = held[-1].start_utc.astimezone(zone).date()
        first_allowed = last_held + dt.timedelta(days=request.min_gap_days)
        request_doc["earliest_start"] = max(request.earliest_start, first_allowed).isoformat()
        not_after = last_held + dt.timedelta(days=request.max_gap_days)
    instance = {
        **_programme_json(programme, now),
        "supervisors": supervisors,
        "coaches": [coach_doc],
        "requests": [request_doc],
        "current": [],
    }
    assignment = {
        "request": request_ref(request.id),
        "coach": coach_ref(coach.id),
        "sessions": [{"start": utc_text(s.start_utc), "end": utc_text(s.end_utc)} for s in moving],
    }
    return MoveQuestion(instance, assignment, moving.index(session), not_after if session is moving[0] else None)


def match_calendars(db: Session, programme_id: int) -> dict[str, Any]:
    """The coaches' part of a match question: every active coach's weekly calendar and their
    supervisors. The same for every waiting request of the programme, so it may be kept."""
    coaches = db.scalars(
        select(Coach)
        .where(Coach.programme_id == programme_id, Coach.active.is_(True))
        .options(selectinload(Coach.availability), selectinload(Coach.exceptions))
        .order_by(Coach.id)
    ).all()
    return {
        "supervisors": [
            {"id": supervisor_ref(s), "max_trainee_engagements": 0, "active_trainee_engagements": 0}
            for s in sorted({c.supervisor_id for c in coaches if c.supervisor_id is not None})
        ],
        "coaches": [
            _coach_json(coach, 0, [], coach.coaching_hours_since_supervision, coach.next_supervision)
            for coach in coaches
        ],
    }


def build_match_question(
    db: Session, request: CoachingRequest, now: dt.datetime, calendars: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An instance of one waiting request and every active coach's calendar (`match_calendars`,
    read now unless given), for "is anyone free then?"."""
    programme = db.get_one(Programme, request.programme_id)
    calendars = calendars if calendars is not None else match_calendars(db, programme.id)
    coach_ids = {coach_pk(coach["id"]) for coach in calendars["coaches"]}
    asked = _request_json(request, coach_ids) | {"pinned_coach": None, "required": False}
    return {**_programme_json(programme, now), **calendars, "requests": [asked], "current": []}
