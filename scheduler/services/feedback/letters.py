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
        letter = Letter(
            subject="How was your intervision meeting?",
            paragraphs=[
                f"Hello {person.name},",
                "Three short questions about your intervision group help the programme shape the next "
                "round. Only the programme's supervisor reads your answers.",
            ],
            link=f"{base_url.rstrip('/')}/feedback/{token}",
            link_label="Give feedback:",
        )
        return letter, person.email, person.name
    request = db.get(CoachingRequest, row.request_id) if row.request_id is not None else None
    if not token or request is None:
        return None
    letter = Letter(
        subject="How was your coaching?",
        paragraphs=[
            f"Hello {request.coachee_name},",
            "Your coaching sessions are over. Three short questions help the programme and its volunteer "
            "coaches: it takes a minute. Only the programme's supervisor reads your answers.",
        ],
        link=f"{base_url.rstrip('/')}/feedback/{token}",
        link_label="Give feedback:",
    )
    return letter, request.coachee_email, request.coachee_name
