"""What the coachee's feedback e-mail says."""

from __future__ import annotations

from sqlalchemy.orm import Session

from scheduler.invites.letters import Letter
from scheduler.models import CoachingRequest, OutboxMessage
from scheduler.services.feedback.operations import FEEDBACK

KINDS = (FEEDBACK,)


def feedback_letter(db: Session, base_url: str, row: OutboxMessage) -> tuple[Letter, str, str] | None:
    token = (row.payload or {}).get("token")
    sign_up_id = (row.payload or {}).get("intervision_sign_up_id")
    if token and sign_up_id:
        from scheduler.services.intervision.models import IntervisionSignUp

        person = db.get(IntervisionSignUp, int(sign_up_id))
        if person is None:
            return None
        why = (
            "Three short questions about your intervision group help the programme shape the next "
            "round. Only the programme's supervisor reads your answers."
        )
        return _ask(base_url, token, "How was your intervision meeting?", why, person.email, person.name)
    request = db.get(CoachingRequest, row.request_id) if row.request_id is not None else None
    if not token or request is None:
        return None
    why = (
        "Your coaching sessions are over. Three short questions help the programme and its volunteer "
        "coaches: it takes a minute. Only the programme's supervisor reads your answers."
    )
    return _ask(base_url, token, "How was your coaching?", why, request.coachee_email, request.coachee_name)


def _ask(base_url: str, token: str, subject: str, why: str, email: str, name: str) -> tuple[Letter, str, str]:
    """The feedback letter: a greeting, why we ask, and the private link to the form."""
    link = f"{base_url.rstrip('/')}/feedback/{token}"
    letter = Letter(subject=subject, paragraphs=[f"Hello {name},", why], link=link, link_label="Give feedback:")
    return letter, email, name
