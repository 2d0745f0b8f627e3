"""What the coach's attendance e-mails say (the follow-up and the "counted as held" notice)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from scheduler.invites.letters import Letter
from scheduler.models import CoachingSession, OutboxMessage
from scheduler.services.attendance.operations import AUTO_HELD, FOLLOW_UP, GRACE_DAYS

KINDS = (FOLLOW_UP, AUTO_HELD)


def attendance_letter(db: Session, base_url: str, row: OutboxMessage) -> tuple[Letter, str, str] | None:
    """(letter, recipient e-mail, recipient name) for an attendance message, or None if it can no longer go."""
    token = (row.payload or {}).get("token")
    session = db.get(CoachingSession, row.session_id) if row.session_id is not None else None
    if not token or session is None:
        return None
    coach = session.coach
    when = session.start_utc.astimezone(ZoneInfo(coach.timezone)).strftime("%a %d %b %Y, %H:%M")
    link = f"{base_url.rstrip('/')}/attendance/{token}"
    if row.kind == FOLLOW_UP:
        letter = Letter(
            subject="How did your coaching session go?",
            paragraphs=[
                f"Hello {coach.name},",
                f"Your session of {when} ({coach.timezone}) is over. Was it held, did the coachee not come, "
                "or was it cancelled late? One click on the link below records it.",
                f"If you do not mark it within {GRACE_DAYS} days it counts as held.",
            ],
            link=link,
            link_label="Record what happened:",
        )
    else:
        letter = Letter(
            subject="Your session was counted as held",
            paragraphs=[
                f"Hello {coach.name},",
                f"Your session of {when} ({coach.timezone}) was not marked within {GRACE_DAYS} days, so it "
                "counts as held toward your hours since supervision. If it was not held, correct it here.",
            ],
            link=link,
            link_label="Correct it:",
        )
    return letter, coach.email, coach.name
