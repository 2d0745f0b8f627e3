"""Coachee use cases: submit a request, follow it, accept, decline, cancel."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler.models import (
    CoachingRequest,
    EngagementStatus,
    Programme,
    RequestStatus,
    SessionStatus,
    utcnow,
)
from scheduler.queries import live_engagement, waiting_count
from scheduler.services import audit, boundary
from scheduler.services.accounts.tokens import REQUEST_STATUS, issue_token
from scheduler.services.errors import InvalidInput
from scheduler.services.fields import EMAIL, as_bool, as_int, as_list, as_name, as_timezone, as_topics
from scheduler.services.messaging import outbox
from scheduler.services.transitions import change_status
from scheduler.weekly import WindowError, parse_weekly

_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


def parse_request_input(programme: Programme, data: Mapping[str, Any], *, today: dt.date) -> dict[str, Any]:
    """Clean values for a CoachingRequest from form, API or CSV input; InvalidInput names each bad field."""
    # Types, lengths and characters are the boundary's; the rules below are the programme's.
    declared = boundary.problems(boundary.NewCoachingRequest, data)
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}

    clean["coachee_name"] = as_name(data.get("coachee_name"), "coachee_name", errors)

    email = str(data.get("coachee_email") or "").strip()
    if not EMAIL.match(email) or len(email) > 254:
        errors["coachee_email"] = "must be an e-mail address like name@example.org"
    clean["coachee_email"] = email

    clean["timezone"] = as_timezone(data.get("timezone"), "timezone", errors)

    languages = [lang.lower() for lang in as_list(data.get("languages"))]
    if not languages:
        errors["languages"] = "choose at least one language"
    elif bad := [lang for lang in languages if not _LANGUAGE.match(lang)]:
        errors["languages"] = f"{', '.join(bad)}: use two-letter language codes such as en, nl, fr"
    elif programme.languages and (unknown := [lang for lang in languages if lang not in programme.languages]):
        errors["languages"] = f"{', '.join(unknown)}: not offered in this programme"
    clean["languages"] = list(dict.fromkeys(languages))

    clean["topics"] = as_topics(data.get("topics"), programme.topics, errors)

    organisation = str(data.get("organisation") or "").strip()
    clean["organisation"] = organisation or None

    clean["sessions_wanted"] = as_int(data.get("sessions_wanted"), "sessions_wanted", 1, 6, errors, 3)
    clean["priority"] = as_int(data.get("priority"), "priority", 1, 3, errors, 1)

    try:
        windows = parse_weekly(data.get("windows") or "")
        if not windows:
            errors["windows"] = "give at least one time you can meet"
        clean["windows"] = windows
    except WindowError as exc:
        errors["windows"] = str(exc)

    earliest = data.get("earliest_start")
    if earliest in (None, ""):
        clean["earliest_start"] = max(today, programme.horizon_start)
    else:
        try:
            clean["earliest_start"] = (
                earliest if isinstance(earliest, dt.date) else dt.date.fromisoformat(str(earliest))
            )
            if clean["earliest_start"] > programme.horizon_end:
                errors["earliest_start"] = f"is after the programme ends ({programme.horizon_end.isoformat()})"
        except ValueError:
            errors["earliest_start"] = "must be a date YYYY-MM-DD"

    if not as_bool(data.get("consent")):
        errors["consent"] = "we need your consent to use these details for matching you with a coach"
    clean["consent"] = True
    clean["message"] = str(data.get("message") or "").strip()[:2000]
    clean["sensitive"] = as_bool(data.get("sensitive")) or any(t in programme.sensitive_topics for t in clean["topics"])

    errors = {**declared, **errors}  # the service's own words first
    if errors:
        raise InvalidInput("The request has problems: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors)
    return clean


@dataclass(frozen=True)
class SubmittedRequest:
    request: CoachingRequest
    status_token: str  # only ever in the coachee's e-mail; the database keeps its hash
    # True when the address already had an open request: no second one was stored, and
    # the link to the first went out again (the page says so whatever happened, so that
    # nobody learns from it who asked for coaching).
    already_open: bool = False


def status_link_lifetime(days: int) -> dt.timedelta:
    return dt.timedelta(days=days)


def submit_request(
    db: Session,
    programme: Programme,
    data: Mapping[str, Any],
    *,
    link_days: int = 60,
    now: dt.datetime | None = None,
    one_per_address: bool = True,
) -> SubmittedRequest:
    """Store a coachee's request and queue the confirmation e-mail with their private link.

    A coachee has one open request: asking again from the same address sends the link to
    the open one instead. A supervisor's import (`one_per_address=False`) stores every row.
    """
    now = now or utcnow()
    values = parse_request_input(programme, data, today=now.date())
    existing = open_request_of(db, programme, values["coachee_email"]) if one_per_address else None
    if existing is not None:
        return SubmittedRequest(existing, send_new_link(db, existing, link_days=link_days), already_open=True)
    request = CoachingRequest(
        programme_id=programme.id,
        session_minutes=programme.session_minutes,
        min_gap_days=programme.min_gap_days,
        max_gap_days=programme.max_gap_days,
        submitted_at=now,
        **values,
    )
    db.add(request)
    db.flush()
    token = issue_token(db, REQUEST_STATUS, valid_for=status_link_lifetime(link_days), request_id=request.id)
    outbox.enqueue_status_link(db, request, token)
    return SubmittedRequest(request, token)


OPEN_STATES = (RequestStatus.WAITING, RequestStatus.PROPOSED, RequestStatus.CONFIRMED)


def open_request_of(db: Session, programme: Programme, email: str) -> CoachingRequest | None:
    """The open request `email` already has in the programme, if any: one open request per person."""
    return db.scalars(
        select(CoachingRequest)
        .where(
            CoachingRequest.programme_id == programme.id,
            func.lower(CoachingRequest.coachee_email) == email.strip().lower(),
            CoachingRequest.status.in_(OPEN_STATES),
        )
        .order_by(CoachingRequest.submitted_at)
        .limit(1)
    ).first()


def send_new_link(db: Session, request: CoachingRequest, *, link_days: int = 60) -> str:
    """Send a fresh link. Links sent before keep working until they expire (docs/privacy.md):
    the coachee may still rely on one in an earlier e-mail."""
    token = issue_token(db, REQUEST_STATUS, valid_for=status_link_lifetime(link_days), request_id=request.id)
    outbox.enqueue_status_link(db, request, token)
    return token


def queue_position(db: Session, request: CoachingRequest) -> int:
    """1-based place among waiting requests, by priority then submission time."""
    ahead = (CoachingRequest.priority > request.priority) | (
        (CoachingRequest.priority == request.priority) & (CoachingRequest.submitted_at < request.submitted_at)
    )
    return waiting_count(db, request.programme_id, ahead) + 1


def accept_proposal(db: Session, request: CoachingRequest) -> None:
    """The coachee accepts the proposed coach and sessions; the coach is told."""
    change_status(db, request, RequestStatus.PROPOSED, RequestStatus.CONFIRMED)
    audit.record(db, audit.ACCEPT, request, old=RequestStatus.PROPOSED, new=RequestStatus.CONFIRMED)
    engagement = live_engagement(request)
    if engagement is not None:
        outbox.enqueue_engagement_notice(db, engagement, outbox.COACHEE_ACCEPTED)


def decline_proposal(db: Session, request: CoachingRequest) -> None:
    """The coachee declines the proposal: sessions are cancelled and calendars told."""
    change_status(db, request, RequestStatus.PROPOSED, RequestStatus.DECLINED)
    _cancel_engagement(db, request, EngagementStatus.DECLINED)
    audit.record(db, audit.DECLINE, request, old=RequestStatus.PROPOSED, new=RequestStatus.DECLINED)


def cancel_request(db: Session, request: CoachingRequest) -> None:
    """Cancel a request at any stage before it ends; scheduled sessions are cancelled in calendars."""
    open_states = (RequestStatus.WAITING, RequestStatus.PROPOSED, RequestStatus.CONFIRMED)
    old = request.status
    change_status(db, request, open_states, RequestStatus.CANCELLED)
    _cancel_engagement(db, request, EngagementStatus.CANCELLED)
    audit.record(db, audit.CANCEL, request, old=old, new=RequestStatus.CANCELLED)


def _cancel_engagement(db: Session, request: CoachingRequest, engagement_status: str) -> None:
    for engagement in request.engagements:
        if engagement.status not in (EngagementStatus.APPROVED, EngagementStatus.DRAFT):
            continue
        was_approved = engagement.status == EngagementStatus.APPROVED
        change_status(db, engagement, engagement.status, engagement_status)
        for session in engagement.sessions:
            if session.status == SessionStatus.CANCELLED:
                continue
            live = session.status == SessionStatus.SCHEDULED
            change_status(db, session, session.status, SessionStatus.CANCELLED, sequence=session.sequence + 1)
            if was_approved and live:
                outbox.enqueue_session_messages(db, session, outbox.CANCEL)
