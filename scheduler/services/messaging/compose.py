"""Composing an outbox row into the bytes of one e-mail: who reads it, what it says, its calendar.

The words are in templates (`scheduler.invites.letters`); links come from `links`; the
calendar part from `scheduler.invites.calendar`. Delivery (`delivery`) calls `compose` while
it holds the row's claim. Nothing personal goes into a calendar item beyond the names and
addresses of the two participants; the coachee's private link travels in the mail body only.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import Settings
from scheduler.invites import calendar as ical
from scheduler.invites import letters
from scheduler.invites.i18n import effective_language, format_span, translations
from scheduler.invites.mail import Rendered, compose
from scheduler.invites.places import Place, place_of
from scheduler.models import (
    Coach,
    CoachingRequest,
    CoachingSession,
    Engagement,
    OutboxMessage,
    Programme,
    SessionStatus,
)
from scheduler.services.accounts.tokens import REQUEST_STATUS, issue_token
from scheduler.services.attendance import letters as attendance_letters
from scheduler.services.feedback import letters as feedback_letters
from scheduler.services.intervision import letters as intervision_letters
from scheduler.services.messaging import links, outbox
from scheduler.services.supervision_sessions import letters as supervision_letters

ALARM_MINUTES = 15

# Payload keys of a message rendered at erasure time (sent as it is), and of one being rendered.
PRERENDERED = "raw"
PRERENDERED_TO = "to"
ERASING = "erasing"


@dataclass
class Composed:
    raw: bytes
    recipient: str
    payload: dict[str, Any]
    message_id: str


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    timezone: str
    language: str | None
    role: str


class Superseded(Exception):
    """The message was overtaken by a later change."""


class Unsendable(Exception):
    """The message cannot be composed (its session or token is gone, or its session has begun)."""


def message_id_for(settings: Settings, dedupe_key: str) -> str:
    """A Message-ID that names the change and the recipient without revealing either."""
    digest = hmac.new(settings.secret_key.encode(), dedupe_key.encode(), hashlib.sha256).hexdigest()[:40]
    domain = settings.mail_from.rpartition("@")[2] or "coaching-scheduler"
    return f"<{digest}@{domain}>"


def _first(languages: list[str] | None) -> str | None:
    return languages[0] if languages else None


def coachee_of(request: CoachingRequest) -> Person:
    return Person(request.coachee_email, request.coachee_name, request.timezone, _first(request.languages), "coachee")


def coach_of(coach: Coach) -> Person:
    return Person(coach.email, coach.name, coach.timezone, _first(coach.languages), "coach")


def _recipient(db: Session, row: OutboxMessage, session: CoachingSession) -> tuple[Person, bool]:
    """The recipient's details and whether they are still a participant of the session."""
    request = session.engagement.request
    if row.recipient_role == "coachee":
        return coachee_of(request), request.coachee_email.lower() == row.recipient.lower()
    if row.recipient_role == "supervisor":
        return Person(row.recipient, "", "UTC", None, "supervisor"), False
    if session.coach.email.lower() == row.recipient.lower():
        return coach_of(session.coach), True
    former = db.scalar(select(Coach).where(Coach.email == row.recipient))
    if former is None:
        raise Unsendable("the recipient is no longer known")
    return coach_of(former), False


def _coachee_link(db: Session, settings: Settings, row: OutboxMessage, payload: dict[str, Any]) -> str:
    """The coachee's status link; a token is issued once per message and kept until it is sent.

    A mail rendered while the request is being erased points to the privacy page instead.
    """
    if payload.get(ERASING):
        return links.privacy_url(settings)
    if "token" not in payload:
        payload["token"] = issue_token(
            db, REQUEST_STATUS, valid_for=dt.timedelta(days=settings.coachee_link_days), request_id=row.request_id
        )
    return links.status_url(settings, str(payload["token"]))


def position(session: CoachingSession) -> tuple[int, int]:
    """(n, N): this session is the n-th of the engagement's N planned sessions."""
    planned = sorted(
        (s for s in session.engagement.sessions if s.status == SessionStatus.SCHEDULED.value or s.id == session.id),
        key=lambda s: (s.start_utc, s.id),
    )
    return planned.index(session) + 1, len(planned)


def session_place(session: CoachingSession) -> Place | None:
    """Where the session happens: the engagement's place if set, else its coach's."""
    return place_of(session.engagement, session.coach)


def session_event(
    session: CoachingSession, *, sequence: int, summary: str, description: str, organizer_email: str,
    organizer_name: str, attendees: list[ical.Attendee], url: str | None, rsvp: bool, cancelled: bool = False,
) -> ical.SessionEvent:
    """The calendar's view of a session, shared by the invitations and the coach's feed."""
    return ical.SessionEvent(
        uid=session.calendar_uid,
        sequence=sequence,
        start_utc=session.start_utc,
        end_utc=session.end_utc,
        summary=summary,
        description=description,
        organizer_email=organizer_email,
        organizer_name=organizer_name,
        attendees=attendees,
        url=url,
        place=session_place(session),
        rsvp=rsvp,
        cancelled=cancelled,
    )


def replies_read(settings: Settings) -> bool:
    """Whether calendar answers reach us (an inbound door runs), so attendees are asked to RSVP."""
    return settings.inbound_replies != "none"


def _session_letter_kind(row: OutboxMessage) -> str:
    if row.kind == outbox.CANCEL:
        return "cancel"
    if row.kind == outbox.REMINDER:
        return "reminder"
    return "update" if row.sequence > 0 else "invitation"


def _compose_session_message(
    db: Session, settings: Settings, row: OutboxMessage, now: dt.datetime, message_id: str
) -> Composed:
    session = db.get(CoachingSession, row.session_id) if row.session_id is not None else None
    if session is None:
        raise Unsendable("the session no longer exists")
    person, participant = _recipient(db, row, session)
    live = session.status == SessionStatus.SCHEDULED.value
    if row.kind == outbox.REQUEST and (session.sequence > row.sequence or not live or not participant):
        raise Superseded(f"session is now at sequence {session.sequence}, {session.status}")
    if row.kind == outbox.REMINDER and (not live or not participant or session.start_utc <= now):
        raise Superseded("session no longer upcoming for this recipient")
    if row.kind == outbox.REQUEST and session.start_utc <= now:
        # Kept while it could still help (transient failures never fail a message before this).
        raise Unsendable("not delivered before the session began")

    request = session.engagement.request
    programme = db.get(Programme, request.programme_id)
    organiser = programme.organiser_email if programme else settings.mail_from
    coach, coachee = coach_of(session.coach), coachee_of(request)
    other = coachee if row.recipient_role == "coach" else coach
    when = format_span(session.start_utc, session.end_utc, person.timezone, person.language)
    when_other = (
        format_span(session.start_utc, session.end_utc, other.timezone, person.language)
        if other.timezone != person.timezone else None
    )
    payload = dict(row.payload or {})
    is_coachee = row.recipient_role == "coachee"
    link = _coachee_link(db, settings, row, payload) if is_coachee else links.coach_sessions_url(settings)
    number, total = position(session)
    place = session_place(session)
    letter = letters.render(
        letters.SESSION, person.language, kind=_session_letter_kind(row),
        reader={"name": person.name, "role": person.role}, other={"name": other.name, "role": other.role},
        when=when, when_other=when_other, number=number, total=total, place=place, manage_url=link,
        replies=replies_read(settings),
    )

    calendar: bytes | None = None
    method: str | None = None
    if row.kind in (outbox.REQUEST, outbox.CANCEL):
        method = ical.REQUEST if row.kind == outbox.REQUEST else ical.CANCEL
        _ = translations(person.language).gettext
        attendees = [ical.Attendee(coach.email, coach.name), ical.Attendee(coachee.email, coachee.name)]
        if not participant:
            attendees.append(ical.Attendee(person.email, person.name))
        # The calendar item holds no private link (calendars are shared and synced further than mail).
        description = _("Session {n} of {total} with {name}.").format(n=number, total=total, name=other.name)
        if place is not None:
            description += "\n" + _("Where: {place}").format(place=place.location)
            if place.note:
                description += "\n" + place.note
        description += "\n" + (_("Move or cancel it with the private link in your e-mail.") if is_coachee
                               else _("Your sessions: {url}").format(url=link))
        event = session_event(
            session, sequence=row.sequence, summary=_("Coaching session with {name}").format(name=other.name),
            description=description, organizer_email=organiser, organizer_name=settings.mail_from_name,
            attendees=attendees, rsvp=replies_read(settings),
            # The coachee's item points to a page that e-mails a fresh private link: no secret in it.
            url=links.fresh_link_url(settings, request.public_ref) if is_coachee else link,
        )
        calendar = ical.session_calendar(
            event, method, tzid=person.timezone, dtstamp=row.created_at, alarm_minutes=ALARM_MINUTES
        )
    return _letter(settings, letter, person, payload, now, message_id, calendar=calendar, method=method)


def _letter(
    settings: Settings, letter: Rendered, person: Person, payload: dict[str, Any], now: dt.datetime,
    message_id: str, *, calendar: bytes | None = None, method: str | None = None,
) -> Composed:
    raw = compose(
        letter,
        sender=settings.mail_from,
        sender_name=settings.mail_from_name,
        recipient=person.email,
        recipient_name=person.name,
        message_id=message_id,
        date=now,
        calendar=calendar,
        method=method,
        language=effective_language(person.language),
    )
    return Composed(raw, person.email, payload, message_id)


def _compose_status_link(db: Session, settings: Settings, row: OutboxMessage, now: dt.datetime,
                         message_id: str) -> Composed:
    token = (row.payload or {}).get("token")
    request = db.get(CoachingRequest, row.request_id) if row.request_id is not None else None
    if not token or request is None:
        raise Unsendable("the status link is no longer available")
    person = coachee_of(request)
    letter = letters.render(letters.STATUS_LINK, person.language, reader={"name": person.name, "role": "coachee"},
                            manage_url=links.status_url(settings, str(token)))
    return _letter(settings, letter, person, dict(row.payload or {}), now, message_id)


def _compose_coach_invitation(settings: Settings, row: OutboxMessage, now: dt.datetime, message_id: str) -> Composed:
    payload = row.payload or {}
    token = payload.get("token")
    if not token:
        raise Unsendable("the invitation link is no longer available")
    person = Person(email=row.recipient, name=str(payload.get("name") or ""), timezone="UTC", language=None,
                    role="coach")
    letter = letters.render(letters.COACH_INVITATION, None, reader={"name": person.name, "role": "coach"},
                            manage_url=links.set_password_url(settings, str(token)))
    return _letter(settings, letter, person, dict(payload), now, message_id)


def _compose_answer(db: Session, settings: Settings, row: OutboxMessage, now: dt.datetime,
                    message_id: str) -> Composed:
    """A decline (or a tentative answer with a comment) told to the others; the coachee gets a link."""
    session = db.get(CoachingSession, row.session_id) if row.session_id is not None else None
    if session is None:
        raise Unsendable("the session no longer exists")
    if session.status != SessionStatus.SCHEDULED.value or session.sequence > row.sequence:
        raise Superseded(f"session is now at sequence {session.sequence}, {session.status}")
    payload = dict(row.payload or {})
    request = session.engagement.request
    coach, coachee = coach_of(session.coach), coachee_of(request)
    reader = {"coach": coach, "coachee": coachee}.get(row.recipient_role) or Person(
        row.recipient, "", "UTC", None, "supervisor")
    who = coach if payload.get("who") == "coach" else coachee
    if row.recipient_role == "coachee":
        link = _coachee_link(db, settings, row, payload)
        if "token" in payload:
            link = links.reschedule_url(settings, str(payload["token"]), session.id)
    elif row.recipient_role == "coach":
        link = links.coach_sessions_url(settings)
    else:
        link = links.supervisor_calendar_url(settings)
    number, total = position(session)
    zone = reader.timezone if reader.role != "supervisor" else who.timezone
    letter = letters.render(
        letters.ANSWER, reader.language, answer=payload.get("answer", "declined"),
        comment=str(payload.get("comment") or ""), reader={"name": reader.name or _supervisor_name(reader),
                                                           "role": reader.role},
        who={"name": who.name, "role": who.role}, coach_name=coach.name, coachee_name=coachee.name,
        when=format_span(session.start_utc, session.end_utc, zone, reader.language),
        number=number, total=total, manage_url=link,
    )
    return _letter(settings, letter, reader, payload, now, message_id)


def _compose_notice(db: Session, settings: Settings, row: OutboxMessage, now: dt.datetime,
                    message_id: str) -> Composed:
    """Who accepted, or that another coach is sought, told to the other person (names read now)."""
    payload = dict(row.payload or {})
    engagement = db.get(Engagement, payload.get("engagement_id") or 0)
    if engagement is None:
        raise Unsendable("the engagement is no longer there")
    notice = payload.get("notice")
    if notice not in outbox.NOTICE_RECIPIENT:
        raise Unsendable(f"unknown notice {notice!r}")
    request = engagement.request
    if outbox.NOTICE_RECIPIENT[notice] == "coach":
        reader = coach_of(engagement.coach)
        link = links.coach_sessions_url(settings)
    else:
        reader = coachee_of(request)
        link = _coachee_link(db, settings, row, payload)  # the token stays with the row until it is sent
    letter = letters.render(
        letters.NOTICE, reader.language, notice=notice, reader={"name": reader.name, "role": reader.role},
        coach_name=engagement.coach.name, coachee_name=request.coachee_name, manage_url=link,
    )
    return _letter(settings, letter, reader, payload, now, message_id)


def _supervisor_name(person: Person) -> str:
    return translations(person.language).gettext("supervisor")


def compose_row(db: Session, settings: Settings, row: OutboxMessage, now: dt.datetime) -> Composed:
    """The e-mail for `row`; `Superseded` or `Unsendable` when it must not be sent."""
    message_id = row.message_id or message_id_for(settings, row.dedupe_key)
    payload = row.payload or {}
    if PRERENDERED in payload:
        return Composed(base64.b64decode(payload[PRERENDERED]), str(payload[PRERENDERED_TO]), dict(payload),
                        message_id)
    if row.kind in (outbox.STATUS_LINK, outbox.COACH_INVITATION) and (
        now > row.created_at + dt.timedelta(days=settings.coachee_link_days)
    ):
        raise Unsendable("not delivered before its link expired")
    if row.kind == outbox.STATUS_LINK:
        return _compose_status_link(db, settings, row, now, message_id)
    if row.kind == outbox.COACH_INVITATION:
        return _compose_coach_invitation(settings, row, now, message_id)
    if row.kind == outbox.NOTICE:
        return _compose_notice(db, settings, row, now, message_id)
    if row.kind == outbox.ANSWER:
        return _compose_answer(db, settings, row, now, message_id)
    if row.kind in (outbox.REQUEST, outbox.CANCEL, outbox.REMINDER):
        return _compose_session_message(db, settings, row, now, message_id)
    if row.kind in supervision_letters.KINDS or row.kind in intervision_letters.KINDS:
        return _compose_group_invitation(db, settings, row, now, message_id)
    if row.kind in attendance_letters.KINDS or row.kind in feedback_letters.KINDS:
        write = attendance_letters.attendance_letter if row.kind in attendance_letters.KINDS else feedback_letters.feedback_letter
        written = write(db, settings.base_url, row)
        if written is None:
            raise Unsendable("what the message was about no longer exists")
        letter, email, name = written
        person = Person(email=email, name=name, timezone="UTC", language=None, role=row.recipient_role or "coach")
        return _letter(settings, letter.rendered(), person, dict(row.payload or {}), now, message_id)
    raise Unsendable(f"unknown message kind {row.kind!r}")


def _compose_group_invitation(db: Session, settings: Settings, row: OutboxMessage, now: dt.datetime,
                              message_id: str) -> Composed:
    """A group supervision or intervision meeting's invitation (or its CANCEL)."""
    invite = (
        supervision_letters.supervision_invitation
        if row.kind in supervision_letters.KINDS
        else intervision_letters.intervision_invitation
    )
    invitation = invite(db, settings, row)
    if invitation is None:
        raise Superseded("the meeting is no longer planned for this person")
    person = Person(email=invitation.email, name=invitation.name, timezone="UTC", language=None,
                    role=row.recipient_role or "coach")
    return _letter(settings, invitation.letter.rendered(), person, dict(row.payload or {}), now, message_id,
                   calendar=invitation.calendar, method=invitation.method)
