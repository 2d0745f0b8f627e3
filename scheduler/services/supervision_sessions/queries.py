"""Reads other features need: each coach's next approved supervision, and the hours they have
coached since their last attended one (held sessions, as attendance records them)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler.models import Coach, CoachingSession, Engagement, SessionStatus, utcnow
from scheduler.services.attendance.models import Outcome, SessionAttendance
from scheduler.services.supervision_sessions.models import (
    SupervisionParticipant,
    SupervisionSession,
    SupervisionStatus,
)


def next_supervisions(db: Session, coach_ids: Iterable[int], now: dt.datetime) -> dict[int, dt.datetime]:
    """Start of each coach's next approved supervision session still to come."""
    rows = db.execute(
        select(SupervisionParticipant.coach_id, SupervisionSession.start_utc)
        .join(SupervisionSession, SupervisionSession.id == SupervisionParticipant.supervision_session_id)
        .where(
            SupervisionParticipant.coach_id.in_(list(coach_ids)),
            SupervisionSession.status == SupervisionStatus.APPROVED.value,
            SupervisionSession.start_utc >= now,
        )
        .order_by(SupervisionSession.start_utc)
    )
    out: dict[int, dt.datetime] = {}
    for coach_id, start in rows:
        out.setdefault(coach_id, start)
    return out


def last_supervised(db: Session, coach_ids: Iterable[int]) -> dict[int, dt.datetime]:
    """End of each coach's last approved supervision session they attended (as the supervisor recorded)."""
    rows = db.execute(
        select(SupervisionParticipant.coach_id, func.max(SupervisionSession.end_utc))
        .join(SupervisionSession, SupervisionSession.id == SupervisionParticipant.supervision_session_id)
        .where(
            SupervisionParticipant.coach_id.in_(list(coach_ids)),
            SupervisionParticipant.attended.is_(True),
            SupervisionSession.status == SupervisionStatus.APPROVED.value,
        )
        .group_by(SupervisionParticipant.coach_id)
    )
    out: dict[int, dt.datetime] = {}
    for coach_id, moment in rows:
        if moment is not None:
            # MAX() over a UTCDateTime column comes back as the database's raw value.
            out[coach_id] = moment if isinstance(moment, dt.datetime) and moment.tzinfo else _as_utc(moment)
    return out


def _as_utc(value: object) -> dt.datetime:
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


@dataclass(frozen=True)
class CoachHours:
    """A coach's coaching hours since their last attended supervision."""

    carried: float  # recorded on the coach before attendance was tracked (reset by supervision)
    held: float  # sessions held (or unmarked, which count as held) since the last supervision
    since: dt.datetime | None  # end of the last attended supervision

    @property
    def total(self) -> float:
        return round(self.carried + self.held, 2)


def hours_since_supervision(db: Session, coaches: Iterable[Coach], now: dt.datetime | None = None) -> dict[int, CoachHours]:
    """Per coach: held hours since their last attended supervision, plus the hours carried on the coach.

    Sessions that started before `now` count unless marked no-show or cancelled late (an
    unmarked session counts as held, as it will once the grace period ends)."""
    now = now or utcnow()
    coaches = list(coaches)
    since = last_supervised(db, (c.id for c in coaches))
    held: dict[int, float] = defaultdict(float)
    rows = db.execute(
        select(CoachingSession, SessionAttendance.outcome)
        .join(Engagement, Engagement.id == CoachingSession.engagement_id)
        .outerjoin(SessionAttendance, SessionAttendance.session_id == CoachingSession.id)
        .where(
            CoachingSession.coach_id.in_([c.id for c in coaches]),
            CoachingSession.status == SessionStatus.SCHEDULED.value,
            CoachingSession.start_utc < now,
        )
    )
    for session, outcome in rows:
        cut = since.get(session.coach_id)
        if outcome in (None, Outcome.HELD.value) and (cut is None or session.start_utc >= cut):
            held[session.coach_id] += (session.end_utc - session.start_utc).total_seconds() / 3600
    return {
        c.id: CoachHours(c.coaching_hours_since_supervision, round(held[c.id], 2), since.get(c.id)) for c in coaches
    }
