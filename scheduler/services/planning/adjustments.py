"""The supervisor steers the solver: pin a request to a coach, forbid a coach for a request, reassign.

Each change is recorded on the request (`pinned_coach_id`, `excluded_coach_ids`), which
the translator passes to the solver, so it lasts across solves. A draft the change
contradicts is withdrawn at once, so it cannot be approved by mistake; the rest of the
draft stays as it is and, passed to the solver as `current`, is kept on re-solve
(minimal change). The caller queues the re-solve (`solving.queue_solve`) and commits.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from scheduler.models import Coach, CoachingRequest, Programme, RequestStatus
from scheduler.queries import of_programme, record_id
from scheduler.services import audit
from scheduler.services.errors import Conflict, InvalidInput, found
from scheduler.services.planning.drafts import current_draft, withdraw_draft


def programme_request(db: Session, programme: Programme, request_id: object) -> CoachingRequest:
    """Request `request_id` of this programme, or NotFound."""
    return found(
        of_programme(db, CoachingRequest, programme, request_id),
        f"There is no request {request_id} in this programme.",
    )


def waiting_request(db: Session, programme: Programme, request_id: int) -> CoachingRequest:
    """Request `request_id` of this programme, still waiting (only waiting requests are solved)."""
    request = programme_request(db, programme, request_id)
    if request.status != RequestStatus.WAITING:
        raise Conflict(f"Request {request_id} is {request.status}, no longer waiting: it cannot be re-planned.")
    return request


def programme_coach(db: Session, programme: Programme, coach_id: object, *, field: str = "coach_id") -> Coach:
    """Coach `coach_id` of this programme; InvalidInput naming `field` otherwise."""
    number = record_id(coach_id)
    if number is None:
        raise InvalidInput("Choose a coach.", {field: "must be a coach's id"})
    coach = of_programme(db, Coach, programme, number)
    if coach is None:
        raise InvalidInput(
            f"There is no coach {number} in this programme.", {field: "is not a coach of this programme"}
        )
    return coach


def pin(db: Session, programme: Programme, request_id: int, coach_id: object) -> CoachingRequest:
    """The request may only go to this coach (and the coach is no longer forbidden for it)."""
    request = waiting_request(db, programme, request_id)
    old = request.pinned_coach_id
    _pin(db, programme, request, coach_id)
    audit.record(db, audit.PIN, request, old=old, new=request.pinned_coach_id)
    return request


def _pin(db: Session, programme: Programme, request: CoachingRequest, coach_id: object) -> None:
    coach = programme_coach(db, programme, coach_id)
    if not coach.active:
        raise InvalidInput(f"{coach.name} is deactivated.", {"coach_id": "is deactivated; reactivate the coach first"})
    request.pinned_coach_id = coach.id
    request.excluded_coach_ids = [c for c in request.excluded_coach_ids if c != coach.id]
    draft = current_draft(request)
    if draft is not None and draft.coach_id != coach.id:
        withdraw_draft(db, draft)
    db.flush()


def unpin(db: Session, programme: Programme, request_id: int) -> CoachingRequest:
    request = waiting_request(db, programme, request_id)
    old = request.pinned_coach_id
    request.pinned_coach_id = None
    db.flush()
    audit.record(db, audit.UNPIN, request, old=old, new=None)
    return request


def forbid(db: Session, programme: Programme, request_id: int, coach_id: object) -> CoachingRequest:
    """The request must not go to this coach; a pin to them is lifted and their draft withdrawn."""
    request = waiting_request(db, programme, request_id)
    coach = _forbid(db, programme, request, coach_id)
    audit.record(db, audit.FORBID, request, old=None, new=coach.id)
    return request


def _forbid(db: Session, programme: Programme, request: CoachingRequest, coach_id: object) -> Coach:
    coach = programme_coach(db, programme, coach_id)
    if coach.id not in request.excluded_coach_ids:
        request.excluded_coach_ids = [*request.excluded_coach_ids, coach.id]
    if request.pinned_coach_id == coach.id:
        request.pinned_coach_id = None
    draft = current_draft(request)
    if draft is not None and draft.coach_id == coach.id:
        withdraw_draft(db, draft)
    db.flush()
    return coach


def allow(db: Session, programme: Programme, request_id: int, coach_id: object) -> CoachingRequest:
    """Lift a forbid."""
    request = waiting_request(db, programme, request_id)
    coach = programme_coach(db, programme, coach_id)
    request.excluded_coach_ids = [c for c in request.excluded_coach_ids if c != coach.id]
    db.flush()
    audit.record(db, audit.ALLOW, request, old=None, new=coach.id)
    return request


def reassign(db: Session, programme: Programme, request_id: int, to_coach_id: object = None) -> CoachingRequest:
    """Move a drafted request away from its coach: pinned to `to_coach_id` when given, else the
    current draft's coach is forbidden and the solver chooses another."""
    request = waiting_request(db, programme, request_id)
    draft = current_draft(request)
    old = draft.coach_id if draft is not None else request.pinned_coach_id
    if to_coach_id not in (None, ""):
        _pin(db, programme, request, to_coach_id)
        audit.record(db, audit.REASSIGN, request, old=old, new=request.pinned_coach_id)
        return request
    if draft is None:
        raise Conflict(f"Request {request_id} has no coach in the draft to move it from; pin it to a coach instead.")
    _forbid(db, programme, request, draft.coach_id)
    audit.record(db, audit.REASSIGN, request, old=old, new=None)
    return request
