"""What a coachee changes themselves behind their private link.

While waiting they may change their times, topics, languages and number of sessions;
the request keeps its place in the queue (its submission time is unchanged) and any
draft for it is dropped, since the supervisor's next solve must see the new wishes.
Once a coach is proposed they may cancel one session (the others stand) or ask for a
different coach (the engagement ends, the coach is left out from then on and the
request waits again in its old place).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from scheduler.models import (
    CoachingRequest,
    CoachingSession,
    EngagementStatus,
    Programme,
    RequestStatus,
    SessionStatus,
    utcnow,
)
from scheduler.queries import live_engagement
from scheduler.services import boundary
from scheduler.services.errors import Conflict, InvalidInput
from scheduler.services.messaging import outbox
from scheduler.services.requests.intake import parse_request_input
from scheduler.services.transitions import change_status

# What a coachee may change while waiting (the boundary's RequestChange); the rest (name,
# address, consent) stays as sent.
EDITABLE = tuple(boundary.RequestChange.model_fields)


def edit_waiting_request(
    db: Session, request: CoachingRequest, changes: Mapping[str, Any], *, now: dt.datetime | None = None
) -> CoachingRequest:
    """Change a waiting request's times, topics, languages, timezone or number of sessions.

    `changes` holds the fields to replace (a form sends them all, the API only those it
    changes; the boundary's RequestChange names which may be); the whole request is then
    checked as a new one would be (the boundary's types and characters, the programme's
    rules). InvalidInput names each bad field; nothing is stored unless all are good.
    """
    if request.status != RequestStatus.WAITING:
        raise Conflict("Only a request still waiting for a coach can be changed here.")
    if unknown := {name: "cannot be changed here" for name in changes if name not in EDITABLE}:
        raise InvalidInput("The change has problems: " + "; ".join(f"{k}: {v}" for k, v in unknown.items()), unknown)
    programme = db.get_one(Programme, request.programme_id)
    stored = {name: getattr(request, name) for name in EDITABLE}
    kept = {
        "coachee_name": request.coachee_name,
        "coachee_email": request.coachee_email,
        "organisation": request.organisation,
        "earliest_start": request.earliest_start,
        "priority": request.priority,
        "consent": request.consent,
        "message": request.message,
    }
    values = parse_request_input(programme, {**kept, **stored, **changes}, today=(now or utcnow()).date())
    for name in EDITABLE:
        setattr(request, name, values[name])
    request.sensitive = request.sensitive or values["sensitive"]
    for engagement in request.engagements:
        if engagement.status == EngagementStatus.DRAFT:
            change_status(db, engagement, EngagementStatus.DRAFT, EngagementStatus.SUPERSEDED)
            for session in engagement.sessions:
                if session.status == SessionStatus.DRAFT:
                    change_status(db, session, SessionStatus.DRAFT, SessionStatus.CANCELLED)
    db.flush()
    return request


def cancel_one_session(db: Session, request: CoachingRequest, session: CoachingSession) -> None:
    """Cancel one scheduled session; the engagement and its other sessions stand."""
    engagement = live_engagement(request)
    if engagement is None or session.engagement_id != engagement.id or session.status != SessionStatus.SCHEDULED:
        raise Conflict("This session is not one of your scheduled sessions.")
    others = [s for s in engagement.sessions if s.status == SessionStatus.SCHEDULED and s.id != session.id]
    if not others:
        raise Conflict(
            "This is your last scheduled session. To stop the coaching, cancel the whole request instead.",
            {"session": "is the last one; cancel the request instead"},
        )
    change_status(
        db, session, SessionStatus.SCHEDULED, SessionStatus.CANCELLED, sequence=session.sequence + 1
    )
    outbox.enqueue_session_messages(db, session, outbox.CANCEL)


def ask_for_another_coach(db: Session, request: CoachingRequest) -> None:
    """End the proposed or confirmed engagement and wait again, in the old place, for a different coach."""
    engagement = live_engagement(request)
    if engagement is None or request.status not in (RequestStatus.PROPOSED, RequestStatus.CONFIRMED):
        raise Conflict("Only a request with a coach can ask for a different coach.")
    change_status(db, request, request.status, RequestStatus.WAITING)
    change_status(db, engagement, EngagementStatus.APPROVED, EngagementStatus.DECLINED)
    for session in engagement.sessions:
        if session.status == SessionStatus.SCHEDULED:
            change_status(
                db, session, SessionStatus.SCHEDULED, SessionStatus.CANCELLED, sequence=session.sequence + 1
            )
            outbox.enqueue_session_messages(db, session, outbox.CANCEL)
    if engagement.coach_id not in request.excluded_coach_ids:
        request.excluded_coach_ids = [*request.excluded_coach_ids, engagement.coach_id]
    db.flush()
