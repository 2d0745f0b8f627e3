"""A person's data, all of it, to take away: a coachee's request(s) or a coach's account.

One structure serves both the JSON download and the readable HTML page. It holds what
the person gave us, what we made of it (engagements, sessions), which messages we sent
them (what about and when; the letters themselves are not kept) and the audit entries
about them. Secrets are left out: only that a link exists and until when, never a token
or a hash.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler.models import (
    AccessToken,
    Coach,
    CoachingRequest,
    Engagement,
    OutboxMessage,
    User,
    utcnow,
)
from scheduler.services import audit
from scheduler.services.programmes import transfer

FORMAT_VERSION = 1

# What each kind of message was about (the subject line names the session or request).
MESSAGE_TOPICS = {
    "REQUEST": "Invitation to a coaching session (or its new time)",
    "CANCEL": "Cancellation of a coaching session",
    "REMINDER": "Reminder of a coaching session",
    "LINK": "Your coaching request: your private link",
    "INVITATION": "Invitation to coach: a link to set your password",
    "NOTE": "Note to the supervisor",
}


def _when(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _sessions(engagement: Engagement) -> list[dict[str, Any]]:
    return [
        {"id": s.id, "start_utc": _when(s.start_utc), "end_utc": _when(s.end_utc), "status": s.status}
        for s in engagement.sessions
    ]


def _messages(rows: Sequence[OutboxMessage]) -> list[dict[str, Any]]:
    return [
        {
            "about": MESSAGE_TOPICS.get(row.kind, row.kind),
            "kind": row.kind,
            "session_id": row.session_id,
            "written_at": _when(row.created_at),
            "sent_at": _when(row.sent_at),
            "status": row.status,
        }
        for row in rows
    ]


def _audit(entries: Sequence[Any]) -> list[dict[str, Any]]:
    return [audit.as_row(entry) for entry in entries]


def _links(tokens: Sequence[AccessToken]) -> list[dict[str, Any]]:
    return [
        {"purpose": t.purpose, "issued_at": _when(t.created_at), "expires_at": _when(t.expires_at),
         "revoked_at": _when(t.revoked_at)}
        for t in tokens
    ]


def request_data(db: Session, request: CoachingRequest) -> dict[str, Any]:
    """Everything held about one request."""
    messages = db.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.request_id == request.id, OutboxMessage.recipient_role == "coachee")
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    ).all()
    tokens = db.scalars(select(AccessToken).where(AccessToken.request_id == request.id).order_by(AccessToken.id)).all()
    return {
        "id": request.id,
        "submitted": {
            "coachee_name": request.coachee_name,
            "coachee_email": request.coachee_email,
            "organisation": request.organisation,
            "timezone": request.timezone,
            "languages": list(request.languages),
            "topics": list(request.topics),
            "sessions_wanted": request.sessions_wanted,
            "windows": request.windows,
            "earliest_start": _when(request.earliest_start),
            "message": request.message,
            "consent": request.consent,
        },
        "held_by_the_programme": {
            "status": request.status,
            "submitted_at": _when(request.submitted_at),
            "session_minutes": request.session_minutes,
            "min_gap_days": request.min_gap_days,
            "max_gap_days": request.max_gap_days,
            "priority": request.priority,
            "sensitive": request.sensitive,
            "preferred_coach_ids": list(request.preferred_coach_ids),
            "excluded_coach_ids": list(request.excluded_coach_ids),
            "pinned_coach_id": request.pinned_coach_id,
            "erased_at": _when(request.erased_at),
        },
        "engagements": [
            {
                "id": e.id,
                "coach_name": e.coach.name,
                "status": e.status,
                "coach_response": e.coach_response,
                "created_at": _when(e.created_at),
                "approved_at": _when(e.approved_at),
                "sessions": _sessions(e),
            }
            for e in request.engagements
        ],
        "messages_sent_to_you": _messages(messages),
        "private_links": _links(tokens),
        "audit_entries": _audit(audit.entries_about(db, request_ids=[request.id])),
    }


def coachee_export(db: Session, requests: Sequence[CoachingRequest], *, now: dt.datetime | None = None) -> dict[str, Any]:
    """A coachee's data: one or more of their requests."""
    return {
        "format_version": FORMAT_VERSION,
        "exported_at": _when(now or utcnow()),
        "about": "coachee",
        "requests": [request_data(db, r) for r in requests],
    }


def requests_of_email(db: Session, programme_id: int, email: str) -> list[CoachingRequest]:
    """Every request of this programme sent from `email` (the supervisor answering a person's request)."""
    return list(
        db.scalars(
            select(CoachingRequest)
            .where(CoachingRequest.programme_id == programme_id,
                   func.lower(CoachingRequest.coachee_email) == email.strip().lower())
            .order_by(CoachingRequest.id)
        )
    )


def coach_export(db: Session, coach: Coach, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Everything held about a coach and their account."""
    user = db.get(User, coach.user_id) if coach.user_id is not None else None
    engagements = db.scalars(select(Engagement).where(Engagement.coach_id == coach.id).order_by(Engagement.id)).all()
    addresses = [coach.email.lower()] + ([user.email.lower()] if user is not None else [])
    messages = db.scalars(
        select(OutboxMessage)
        .where(func.lower(OutboxMessage.recipient).in_(addresses))
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    ).all()
    tokens = (
        db.scalars(select(AccessToken).where(AccessToken.user_id == user.id).order_by(AccessToken.id)).all()
        if user is not None else []
    )
    return {
        "format_version": FORMAT_VERSION,
        "exported_at": _when(now or utcnow()),
        "about": "coach",
        "coach": {
            "id": coach.id,
            "name": coach.name,
            "email": coach.email,
            "organisation": coach.organisation,
            "timezone": coach.timezone,
            "languages": list(coach.languages),
            "topics": list(coach.topics),
            "level": coach.level,
            "supervisor_id": coach.supervisor_id,
            "max_active_coachees": coach.max_active_coachees,
            "max_sessions_per_week": coach.max_sessions_per_week,
            "max_sessions_per_day": coach.max_sessions_per_day,
            "buffer_minutes": coach.buffer_minutes,
            "coaching_hours_since_supervision": coach.coaching_hours_since_supervision,
            "next_supervision": _when(coach.next_supervision),
            "active": coach.active,
            "calendar_feed": coach.feed_token_hash is not None,
            "erased_at": _when(coach.erased_at),
        },
        "account": None if user is None else {
            "email": user.email,
            "role": user.role,
            "active": user.active,
            "created_at": _when(user.created_at),
            "api_token": user.api_token_hash is not None,
            "password_set": user.password_hash is not None,
        },
        "weekly_availability": [
            {"weekday": r.weekday, "start": r.start.isoformat("minutes"), "end": r.end.isoformat("minutes")}
            for r in coach.availability
        ],
        "availability_exceptions": [
            {"date": _when(x.date), "start": x.start.isoformat("minutes") if x.start else None,
             "end": x.end.isoformat("minutes") if x.end else None}
            for x in coach.exceptions
        ],
        "busy_times": [{"start_utc": _when(b.start_utc), "end_utc": _when(b.end_utc)} for b in coach.busy],
        # Coachees' own details belong to them: engagements name the request only.
        "engagements": [
            {"id": e.id, "request_id": e.request_id, "status": e.status, "coach_response": e.coach_response,
             "approved_at": _when(e.approved_at), "sessions": _sessions(e)}
            for e in engagements
        ],
        "messages_sent_to_you": _messages(messages),
        "private_links": _links(tokens),
        "audit_entries": _audit(
            audit.entries_about(db, coach_id=coach.id, user_id=user.id if user is not None else None)
        ),
    }


def audit_csv(entries: Sequence[Any]) -> str:
    """Audit entries as CSV (old and new values as JSON text unless plain text); formula cells neutralised."""
    def cell(value: Any) -> Any:
        return value if value is None or isinstance(value, str) else json.dumps(value, sort_keys=True)

    rows = [{k: cell(v) if k in ("old", "new") else v for k, v in audit.as_row(e).items()} for e in entries]
    return transfer.csv_text(audit.CSV_COLUMNS, rows)


def as_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False)

