"""Use cases of feedback and private notes. Services never commit; the edge does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler import queries
from scheduler.models import (
    CoachingRequest,
    CoachingSession,
    Engagement,
    EngagementStatus,
    SessionStatus,
    utcnow,
)
from scheduler.services.accounts.tokens import new_secret, token_hash
from scheduler.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from scheduler.services.feedback.models import Feedback, SessionNote

FEEDBACK = "FEEDBACK"  # outbox kind: the coachee's private feedback link
LINK_DAYS = 60
COMMENT_MAX = 2000
NOTE_MAX = 10000


def _new_form(db: Session, now: dt.datetime, **about: Any) -> str:
    """A feedback form open for LINK_DAYS; the private link's token (only its hash is kept)."""
    token, digest = new_secret()
    db.add(Feedback(token_hash=digest, created_at=now, expires_at=now + dt.timedelta(days=LINK_DAYS), **about))
    return token


def send_due_feedback_forms(db: Session, now: dt.datetime | None = None) -> int:
    """Each approved engagement whose last session has ended gets one feedback form, sent to its coachee."""
    now = now or utcnow()
    last_end = (
        select(CoachingSession.engagement_id, func.max(CoachingSession.end_utc).label("last_end"))
        .where(CoachingSession.status == SessionStatus.SCHEDULED.value)
        .group_by(CoachingSession.engagement_id)
        .subquery()
    )
    due = db.scalars(
        select(Engagement)
        .join(last_end, last_end.c.engagement_id == Engagement.id)
        .outerjoin(Feedback, Feedback.engagement_id == Engagement.id)
        .where(Engagement.status == EngagementStatus.APPROVED.value, last_end.c.last_end <= now, Feedback.id.is_(None))
    ).all()
    for engagement in due:
        token = _new_form(db, now, kind="engagement", engagement_id=engagement.id)
        request = engagement.request
        queries.queue_once(db, f"e{engagement.id}:{request.coachee_email.lower()}", request.coachee_email, "coachee",
                           FEEDBACK, {"token": token}, request_id=request.id)
    db.flush()
    return len(due)


def send_due_intervision_feedback(db: Session, now: dt.datetime | None = None) -> int:
    """After an intervision meeting, each participant gets one feedback form by private link."""
    from scheduler.services.intervision.models import IntervisionGroup, IntervisionRound

    now = now or utcnow()
    asked = set(db.scalars(select(Feedback.intervision_sign_up_id).where(Feedback.intervision_sign_up_id.is_not(None))))
    sent = 0
    groups = db.scalars(
        select(IntervisionGroup)
        .join(IntervisionRound, IntervisionRound.id == IntervisionGroup.round_id)
        .where(IntervisionRound.status == "scheduled", IntervisionGroup.end_utc <= now)
    )
    for group in groups:
        people = {s.id: s for s in group.round.sign_ups}
        for member_id in group.member_ids:
            person = people.get(member_id)
            if person is None or member_id in asked:
                continue
            token = _new_form(db, now, kind="intervision", intervision_sign_up_id=member_id)
            queries.queue_once(db, f"iv{member_id}:{person.email}", person.email, "participant", FEEDBACK,
                               {"token": token, "intervision_sign_up_id": member_id})
            sent += 1
    db.flush()
    return sent


def feedback_for_link(db: Session, token: str, now: dt.datetime | None = None) -> Feedback:
    """The form a private link opens, or Forbidden (unknown or expired)."""
    now = now or utcnow()
    form = db.scalar(select(Feedback).where(Feedback.token_hash == token_hash(token)))
    if form is None:
        raise Forbidden("This feedback link is not valid.")
    if form.expires_at <= now and form.submitted_at is None:
        raise Forbidden("This feedback link has expired.")
    return form


def submit_feedback(db: Session, token: str, data: Mapping[str, Any], now: dt.datetime | None = None) -> Feedback:
    """Record the answers once: rating 1-5, would recommend yes/no, an optional comment."""
    now = now or utcnow()
    form = feedback_for_link(db, token, now)
    if form.submitted_at is not None:
        raise Conflict("Thank you: this feedback was already given.")
    errors: dict[str, str] = {}
    rating = str(data.get("rating", "")).strip()
    if rating not in {"1", "2", "3", "4", "5"}:
        errors["rating"] = "choose from 1 to 5"
    recommend = str(data.get("would_recommend", "")).strip()
    if recommend not in {"yes", "no"}:
        errors["would_recommend"] = "choose yes or no"
    comment = str(data.get("comment", "")).strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = f"at most {COMMENT_MAX} characters"
    if errors:
        raise InvalidInput("The feedback was not sent.", errors)
    form.rating, form.would_recommend, form.comment, form.submitted_at = int(rating), recommend == "yes", comment, now
    db.flush()
    return form


def coachee_name_for(db: Session, form: Feedback) -> str:
    """The name of whoever the form is for: the coachee, or the intervision participant."""
    if form.intervision_sign_up_id is not None:
        from scheduler.services.intervision.models import IntervisionSignUp

        person = db.get(IntervisionSignUp, form.intervision_sign_up_id)
        return person.name if person else ""
    engagement = db.get(Engagement, form.engagement_id) if form.engagement_id else None
    request = db.get(CoachingRequest, engagement.request_id) if engagement else None
    return request.coachee_name if request else ""


# --- private notes -------------------------------------------------------------------------


def _own_session(db: Session, coach_id: int, session_id: int) -> CoachingSession:
    session = db.get(CoachingSession, session_id)
    # Someone else's session is "not found": a note's existence is private too.
    if session is None or session.coach_id != coach_id:
        raise NotFound("No such session of yours.")
    return session


def note_for(db: Session, coach_id: int, session_id: int) -> str:
    """The coach's private note on one of their sessions ("" if none)."""
    _own_session(db, coach_id, session_id)
    note = db.scalar(select(SessionNote).where(SessionNote.session_id == session_id, SessionNote.coach_id == coach_id))
    return note.text if note else ""


def save_note(db: Session, coach_id: int, session_id: int, text: str, now: dt.datetime | None = None) -> None:
    """Keep (or clear, with empty text) the coach's private note on one of their sessions."""
    _own_session(db, coach_id, session_id)
    if len(text) > NOTE_MAX:
        raise InvalidInput("The note was not saved.", {"note": f"at most {NOTE_MAX} characters"})
    note = db.scalar(select(SessionNote).where(SessionNote.session_id == session_id, SessionNote.coach_id == coach_id))
    if not text.strip():
        if note is not None:
            db.delete(note)
    elif note is None:
        db.add(SessionNote(session_id=session_id, coach_id=coach_id, text=text, updated_at=now or utcnow()))
    else:
        note.text, note.updated_at = text, now or utcnow()
    db.flush()
