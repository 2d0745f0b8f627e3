"""Reads other features need: each coach's next approved supervision."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

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
