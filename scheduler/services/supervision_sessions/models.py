"""Group supervision: the supervisor's planning settings, the sessions, who takes part."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.db import Base, UTCDateTime
from scheduler.models import new_calendar_uid, utcnow


class SupervisionStatus(enum.StrEnum):
    PROPOSED = "proposed"  # from the planner, for the supervisor to review
    APPROVED = "approved"  # invitations sent
    CANCELLED = "cancelled"


class SupervisionSettings(Base):
    """How a supervisor wants group supervision planned: their free time, session length, group size."""

    __tablename__ = "supervision_settings"

    supervisor_id: Mapped[int] = mapped_column(ForeignKey("supervisor.id"), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    weekly: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {"wed": [["10:00", "12:00"]]}
    session_minutes: Mapped[int] = mapped_column(Integer, default=90)
    max_group_size: Mapped[int] = mapped_column(Integer, default=4)

    __table_args__ = (
        CheckConstraint("session_minutes between 15 and 480", name="supervision_length"),
        CheckConstraint("max_group_size between 1 and 20", name="supervision_group_size"),
    )


class SupervisionSession(Base):
    __tablename__ = "supervision_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("supervisor.id"))
    start_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    end_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default=SupervisionStatus.PROPOSED.value)
    calendar_uid: Mapped[str] = mapped_column(String(80), unique=True, default=new_calendar_uid)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    participants: Mapped[list[SupervisionParticipant]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="SupervisionParticipant.coach_id"
    )

    __table_args__ = (CheckConstraint("start_utc < end_utc", name="supervision_order"),)


class SupervisionParticipant(Base):
    """A coach in a supervision session; `attended` is recorded by the supervisor afterwards."""

    __tablename__ = "supervision_participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    supervision_session_id: Mapped[int] = mapped_column(ForeignKey("supervision_session.id"))
    coach_id: Mapped[int] = mapped_column(ForeignKey("coach.id"))
    attended: Mapped[bool | None] = mapped_column(Boolean)
    recorded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    session: Mapped[SupervisionSession] = relationship(back_populates="participants")

    __table_args__ = (UniqueConstraint("supervision_session_id", "coach_id", name="supervision_participant_once"),)
