"""A coach's calendar feed at a secret, revocable URL.

The URL holds a random token; only its SHA-256 hash is stored (`Coach.feed_token_hash`),
so issuing a new one or revoking it cuts off every old subscription. The feed lists the
coach's upcoming sessions with the same UIDs and sequences as the e-mailed invites, so
a calendar that has both shows one event; cancelled sessions stay in it with
STATUS:CANCELLED so subscribed calendars remove or strike them. Event titles name no
coachee: a feed URL travels further than an e-mail (shared calendars, proxies).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import Settings
from scheduler.invites import calendar as ical
from scheduler.invites.i18n import translations
from scheduler.models import Coach, CoachingSession, Engagement, Programme, SessionStatus, utcnow
from scheduler.services.accounts.tokens import set_secret, token_hash
from scheduler.services.errors import Forbidden
from scheduler.services.messaging.compose import session_event
from scheduler.services.messaging.links import coach_sessions_url

# Cancelled sessions stay this long after their start, so calendars see the cancellation.
KEEP_PAST = dt.timedelta(days=1)


def issue_feed_token(db: Session, coach: Coach) -> str:
    """A new feed token for `coach` (the old URL stops working); show it once, store only its hash."""
    return set_secret(db, coach, "feed_token_hash")


def revoke_feed_token(db: Session, coach: Coach) -> None:
    """The coach's feed URL stops working."""
    coach.feed_token_hash = None
    db.flush()


def coach_for_feed_token(db: Session, token: str) -> Coach:
    """The active coach whose feed `token` opens, or Forbidden."""
    coach = db.scalar(select(Coach).where(Coach.feed_token_hash == token_hash(token))) if token else None
    if coach is None or not coach.active:
        raise Forbidden("This calendar link is not valid. Ask for a new one.")
    return coach


def feed_url(settings: Settings, token: str) -> str:
    return f"{settings.base_url.rstrip('/')}/feeds/{token}.ics"


def coach_feed(db: Session, coach: Coach, settings: Settings, *, now: dt.datetime | None = None) -> bytes:
    """The coach's upcoming sessions (live and cancelled) as one iCalendar object."""
    now = now or utcnow()
    rows = db.scalars(
        select(CoachingSession)
        .join(Engagement, Engagement.id == CoachingSession.engagement_id)
        .where(
            CoachingSession.coach_id == coach.id,
            CoachingSession.end_utc >= now - KEEP_PAST,
            # Only sessions people were told about: live ones, and cancelled ones once approved.
            (CoachingSession.status == SessionStatus.SCHEDULED)
            | ((CoachingSession.status == SessionStatus.CANCELLED) & Engagement.approved_at.is_not(None)),
        )
        .order_by(CoachingSession.start_utc)
    ).all()
    programme = db.get(Programme, coach.programme_id)
    language = coach.languages[0] if coach.languages else None
    _ = translations(language).gettext
    link = coach_sessions_url(settings)
    # Built like the e-mailed invitations (same UID, SEQUENCE, place), without attendees.
    events = [
        session_event(
            session,
            sequence=session.sequence,
            summary=_("Coaching session"),
            description=_("Details of your sessions:") + f"\n{link}",
            organizer_email=programme.organiser_email if programme else settings.mail_from,
            organizer_name=settings.mail_from_name,
            attendees=[],
            cancelled=session.status == SessionStatus.CANCELLED,
            url=link,
            rsvp=False,
        )
        for session in rows
    ]
    events += _supervision_events(db, coach, programme.organiser_email if programme else settings.mail_from, link, now)
    name = _("Coaching sessions") + (f" – {programme.name}" if programme else "")
    return ical.feed_calendar(events, tzid=coach.timezone, name=name, dtstamp=now)


def _supervision_events(
    db: Session, coach: Coach, organiser: str, link: str, now: dt.datetime
) -> list[ical.SessionEvent]:
    """The coach's group supervision sessions, approved or cancelled after approval."""
    from scheduler.models import Supervisor
    from scheduler.services.supervision_sessions.letters import supervision_event
    from scheduler.services.supervision_sessions.models import (
        SupervisionParticipant,
        SupervisionSession,
        SupervisionStatus,
    )

    rows = db.scalars(
        select(SupervisionSession)
        .join(SupervisionParticipant, SupervisionParticipant.supervision_session_id == SupervisionSession.id)
        .where(
            SupervisionParticipant.coach_id == coach.id,
            SupervisionSession.end_utc >= now - KEEP_PAST,
            SupervisionSession.approved_at.is_not(None),
        )
        .order_by(SupervisionSession.start_utc)
    )
    return [
        supervision_event(s, db.get_one(Supervisor, s.supervisor_id), organiser, link)
        for s in rows
        if s.status in (SupervisionStatus.APPROVED.value, SupervisionStatus.CANCELLED.value)
    ]
