"""What happened to each coaching session once it was over, and the coach's one-click links."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.db import Base, UTCDateTime
from scheduler.models import utcnow


class Outcome(enum.StrEnum):
    HELD = "held"
    NO_SHOW = "no_show"  # the coachee did not come
    CANCELLED_LATE = "cancelled_late"  # called off too late to give the time to anyone else


class RecordedBy(enum.StrEnum):
    COACH = "coach"
    AUTOMATIC = "automatic"  # not marked within the grace period: counts as held


class SessionAttendance(Base):
    """The outcome of one session that has ended; one row per session."""

    __tablename__ = "session_attendance"

    session_id: Mapped[int] = mapped_column(ForeignKey("coaching_session.id"), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(20))
    recorded_by: Mapped[str] = mapped_column(String(20))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("outcome in ('held', 'no_show', 'cancelled_late')", name="attendance_outcome"),
    )


class AttendanceLink(Base):
    """The follow-up e-mail's private link: marks that one session only; stored hashed; expires."""

    __tablename__ = "attendance_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("coaching_session.id"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
