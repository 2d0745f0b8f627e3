"""Feedback from coachees (and intervision participants) and coaches' private session notes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.db import Base, UTCDateTime
from scheduler.models import utcnow


class Feedback(Base):
    """One private feedback form: issued with a hashed, expiring link, answered once."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # engagement | intervision
    engagement_id: Mapped[int | None] = mapped_column(ForeignKey("engagement.id"), unique=True)
    # For an intervision meeting: the participant's sign-up (added with the intervision tables).
    intervision_sign_up_id: Mapped[int | None] = mapped_column(ForeignKey("intervision_sign_up.id"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    rating: Mapped[int | None] = mapped_column(Integer)
    would_recommend: Mapped[bool | None] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (CheckConstraint("rating is null or rating between 1 and 5", name="feedback_rating"),)


class SessionNote(Base):
    """A coach's private note on one of their sessions: nobody else reads it, not even the supervisor."""

    __tablename__ = "session_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("coaching_session.id"))
    coach_id: Mapped[int] = mapped_column(ForeignKey("coach.id"))
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("session_id", "coach_id", name="session_note_once"),)
