"""What a coachee sees behind their private link, and sending a fresh link."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import solver
from scheduler.models import (
    Coach,
    CoachingRequest,
    CoachingSession,
    Engagement,
    EngagementStatus,
    Programme,
    RequestStatus,
    SessionStatus,
    utcnow,
)
from scheduler.queries import live_engagement, waiting_count
from scheduler.services import boundary
from scheduler.services.accounts.tokens import REQUEST_STATUS, resolve_token
from scheduler.services.errors import NotFound, found
from scheduler.services.requests.intake import OPEN_STATES, queue_position, send_new_link
from scheduler.translator import build_match_question, match_calendars, request_ref
from solver.alternatives import coaches_meeting

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class RequestOverview:
    """A coachee's request as their status page shows it."""

    request: CoachingRequest
    waiting_for: dt.timedelta
    queue_position: int | None  # only while waiting
    waiting_total: int | None
    engagement: Engagement | None  # the approved one, if any
    coach: Coach | None
    sessions: list[CoachingSession]  # scheduled sessions, in time order
    # While waiting: True when no coach of the programme is ever free at the coachee's times.
    no_coach_at_these_times: bool = False
    # While waiting: the first session of the draft plan's engagement, when the plan places
    # the request (possibly weeks ahead, as another engagement of the coach ends).
    expected_start: dt.datetime | None = None

    @property
    def status(self) -> str:
        return self.request.status

    @property
    def can_respond(self) -> bool:
        return self.request.status == RequestStatus.PROPOSED

    @property
    def can_reschedule(self) -> bool:
        return self.request.status in (RequestStatus.PROPOSED, RequestStatus.CONFIRMED)

    @property
    def can_cancel(self) -> bool:
        return self.request.status in OPEN_STATES


def request_for_token(db: Session, token: str) -> CoachingRequest:
    """The request a live status link belongs to, or Forbidden."""
    record = resolve_token(db, token, REQUEST_STATUS)
    return found(
        db.get(CoachingRequest, record.request_id) if record.request_id is not None else None,
        "This link belongs to no request.",
    )


def overview(db: Session, request: CoachingRequest, *, now: dt.datetime | None = None) -> RequestOverview:
    now = now or utcnow()
    waiting = request.status == RequestStatus.WAITING
    engagement = live_engagement(request)
    sessions = [s for s in engagement.sessions if s.status == SessionStatus.SCHEDULED] if engagement else []
    total = waiting_count(db, request.programme_id) if waiting else None
    return RequestOverview(
        request=request,
        waiting_for=now - request.submitted_at,
        queue_position=queue_position(db, request) if waiting else None,
        waiting_total=total,
        engagement=engagement,
        coach=engagement.coach if engagement else None,
        sessions=sorted(sessions, key=lambda s: s.start_utc),
        expected_start=expected_start(request) if waiting else None,
        no_coach_at_these_times=waiting and not _coaches_free_then(db, request, now),
    )


# The answer changes only when the coachee's times or the coaches' hours do; a coachee who
# reloads the page gets it from here (per process, for a few minutes) instead of a new look.
_FREE_THEN: dict[tuple[str, int, str, str], tuple[float, bool]] = {}
_FREE_THEN_SECONDS = 300.0
# The coaches' calendars are the same for every coachee of the programme: each new coachee's
# first look reads them from here (per process, for a minute) rather than from the database
# (on the demo, 16 coaches with their hours: about half the cost of a first look).
_CALENDARS: dict[tuple[str, int], tuple[float, dict[str, Any]]] = {}
_CALENDARS_SECONDS = 60.0


def _kept(cache: dict[Any, tuple[float, Any]], key: Any, seconds: float, compute: Callable[[], Any]) -> Any:
    """`cache[key]` while younger than `seconds`, else compute it again (and keep the cache small)."""
    seen = cache.get(key)
    if seen is not None and time.monotonic() - seen[0] < seconds:
        return seen[1]
    value = compute()
    if len(cache) > 10_000:
        cache.clear()
    cache[key] = (time.monotonic(), value)
    return value


def _coaches_free_then(db: Session, request: CoachingRequest, now: dt.datetime) -> bool:
    """Whether any coach's weekly hours meet the coachee's windows (the solver's calendar says)."""
    # Keyed by database too: one process may serve (or test) more than one.
    database = str(db.get_bind().url)

    def look() -> bool:
        calendars = _kept(
            _CALENDARS,
            (database, request.programme_id),
            _CALENDARS_SECONDS,
            lambda: match_calendars(db, request.programme_id),
        )
        instance = solver.parse_instance(build_match_question(db, request, now, calendars))
        return bool(coaches_meeting(instance, request_ref(request.id)))

    key = (database, request.id, request.timezone, json.dumps(request.windows, sort_keys=True))
    return bool(_kept(_FREE_THEN, key, _FREE_THEN_SECONDS, look))


def expected_start(request: CoachingRequest) -> dt.datetime | None:
    """When the draft plan would start the request's engagement, if it places it."""
    starts = [
        s.start_utc
        for e in request.engagements
        if e.status == EngagementStatus.DRAFT
        for s in e.sessions
        if s.status != SessionStatus.CANCELLED
    ]
    return min(starts, default=None)


def session_of_request(request: CoachingRequest, session_id: int) -> CoachingSession:
    """A scheduled session of the request's approved engagement, or NotFound."""
    engagement = live_engagement(request)
    for session in engagement.sessions if engagement else []:
        if session.id == session_id and session.status == SessionStatus.SCHEDULED:
            return session
    raise NotFound("This session is not one of your scheduled sessions.")


class LinkRequest(boundary.Declaration):
    coachee_email: boundary.Email


def link_request_address(data: Mapping[str, Any]) -> str:
    """The address a new link is asked for, or InvalidInput naming `coachee_email` (the same for known and unknown addresses)."""
    values = boundary.read(LinkRequest, {"coachee_email": str(data.get("coachee_email") or "").strip()})
    return str(values["coachee_email"])


def send_links_for_email(db: Session, programme: Programme, email: str, *, link_days: int = 60) -> int:
    """Send a fresh link for each open request of `email`; how many went out.

    Run from a job (scheduler.tasks.send_status_links), never in the web request: the page
    then answers the same, in the same time, whether or not the address asked for coaching.
    """
    email = link_request_address({"coachee_email": email})
    requests = db.scalars(
        select(CoachingRequest).where(
            CoachingRequest.programme_id == programme.id,
            func.lower(CoachingRequest.coachee_email) == email.lower(),
            CoachingRequest.status.in_(OPEN_STATES),
        )
    ).all()
    for request in requests:
        send_new_link(db, request, link_days=link_days)
    return len(requests)
