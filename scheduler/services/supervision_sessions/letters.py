"""The coach's invitation to a group supervision session: a letter with an iCalendar REQUEST,
on the same path as coaching invitations (outbox row, delivered after commit)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from config.settings import Settings
from scheduler.invites import calendar as ical
from scheduler.invites.i18n import format_span
from scheduler.invites.letters import Letter
from scheduler.models import Coach, OutboxMessage, Programme, Supervisor
from scheduler.services.supervision_sessions.models import SupervisionSession, SupervisionStatus

INVITATION = "SUPERVISION"
KINDS = (INVITATION,)


@dataclass(frozen=True)
class CalendarInvitation:
    letter: Letter
    email: str
    name: str
    calendar: bytes
    method: str


def supervision_event(session: SupervisionSession, supervisor: Supervisor, organiser: str, link: str) -> ical.SessionEvent:
    """The calendar event of a supervision session (the same UID in e-mails and feeds)."""
    return ical.SessionEvent(
        uid=session.calendar_uid,
        sequence=session.sequence,
        start_utc=session.start_utc,
        end_utc=session.end_utc,
        summary="Group supervision",
        description=f"Group supervision with {supervisor.name}.\n\nYour sessions:\n{link}",
        organizer_email=organiser,
        organizer_name=supervisor.name,
        cancelled=session.status == SupervisionStatus.CANCELLED.value,
        url=link,
    )


def supervision_invitation(db: Session, settings: Settings, row: OutboxMessage) -> CalendarInvitation | None:
    """The invitation an outbox row stands for, or None when the session is gone or no longer approved."""
    session = db.get(SupervisionSession, int((row.payload or {}).get("supervision_session_id", 0)))
    if session is None or session.status != SupervisionStatus.APPROVED.value:
        return None
    invited = [db.get_one(Coach, p.coach_id) for p in session.participants]
    coach = next((c for c in invited if c.email.lower() == row.recipient.lower()), None)
    supervisor = db.get_one(Supervisor, session.supervisor_id)
    if coach is None:
        return None
    programme = db.get(Programme, coach.programme_id)
    organiser = programme.organiser_email if programme else settings.mail_from
    link = f"{settings.base_url.rstrip('/')}/coach/sessions"
    when = format_span(session.start_utc, session.end_utc, coach.timezone, None)
    letter = Letter(
        subject="Invitation: group supervision",
        paragraphs=[
            f"Hello {coach.name},",
            f"You are invited to a group supervision session with {supervisor.name}:\n{when}",
            "Supervision keeps your coaching hours within the programme's rule; it is planned before you reach your limit.",
        ],
        link=link,
        link_label="Your sessions:",
    )
    event = supervision_event(session, supervisor, organiser, link)
    calendar = ical.session_calendar(event, ical.REQUEST, tzid=coach.timezone, dtstamp=row.created_at)
    return CalendarInvitation(letter, coach.email, coach.name, calendar, ical.REQUEST)
