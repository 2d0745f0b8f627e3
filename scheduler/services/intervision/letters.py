"""A group member's invitation to their intervision meeting, with its calendar event."""

from __future__ import annotations

from sqlalchemy.orm import Session

from config.settings import Settings
from scheduler.invites import calendar as ical
from scheduler.invites.i18n import format_span
from scheduler.invites.letters import Letter
from scheduler.models import OutboxMessage, Programme
from scheduler.services.intervision.models import IntervisionGroup
from scheduler.services.supervision_sessions.letters import CalendarInvitation

INVITATION = "INTERVISION"  # outbox kind: a group member's invitation with its calendar event
KINDS = (INVITATION,)


def intervision_invitation(db: Session, settings: Settings, row: OutboxMessage) -> CalendarInvitation | None:
    group = db.get(IntervisionGroup, int((row.payload or {}).get("group_id", 0)))
    if group is None:
        return None
    people = {s.id: s for s in group.round.sign_ups}
    members = [people[m] for m in group.member_ids if m in people]
    person = next((p for p in members if p.email == row.recipient.lower()), None)
    if person is None:
        return None
    programme = db.get(Programme, group.round.programme_id)
    timezone = programme.timezone if programme else "UTC"
    organiser = programme.organiser_email if programme else settings.mail_from
    when = format_span(group.start_utc, group.end_utc, timezone, None)
    chair = people.get(group.facilitator_id) if group.facilitator_id else None
    names = ", ".join(p.name for p in members)
    lines = [
        f"Hello {person.name},",
        f"Your intervision group meets {when} ({timezone}), in {group.language}.",
        f"The group: {names}." + (f" {chair.name} facilitates." if chair else ""),
        "Bring a real challenge from your work; the others will help you think it through.",
    ]
    event = ical.SessionEvent(
        uid=group.calendar_uid,
        sequence=0,
        start_utc=group.start_utc,
        end_utc=group.end_utc,
        summary=f"Intervision: {group.round.title}",
        description="\n\n".join(lines[1:]),
        organizer_email=organiser,
        organizer_name=settings.mail_from_name,
        attendees=[ical.Attendee(p.email, p.name) for p in members],
    )
    calendar = ical.session_calendar(event, ical.REQUEST, tzid=timezone, dtstamp=row.created_at)
    letter = Letter(subject=f"Invitation: intervision – {group.round.title}", paragraphs=lines)
    return CalendarInvitation(letter, person.email, person.name, calendar, ical.REQUEST)
