"""An intervision round, its sign-ups and the groups formed from them."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.db import Base, UTCDateTime
from scheduler.models import new_calendar_uid, utcnow


class IntervisionRound(Base):
    __tablename__ = "intervision_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"))
    title: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    session_minutes: Mapped[int] = mapped_column(Integer, default=120)
    min_group_size: Mapped[int] = mapped_column(Integer, default=4)
    max_group_size: Mapped[int] = mapped_column(Integer, default=5)
    # The times offered: [{"id": "s1", "start": "...Z", "end": "...Z"}], from the weekly times given.
    slots: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | planned | scheduled
    public_ref: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: secrets.token_hex(8))
    left_out: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # sign-up id -> reasons
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    sign_ups: Mapped[list[IntervisionSignUp]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="IntervisionSignUp.id"
    )
    groups: Mapped[list[IntervisionGroup]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="IntervisionGroup.id"
    )


class IntervisionSignUp(Base):
    __tablename__ = "intervision_sign_up"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("intervision_round.id"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    organisation: Mapped[str | None] = mapped_column(String(200))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    experience: Mapped[str] = mapped_column(String(20))
    facilitator: Mapped[bool] = mapped_column(Boolean, default=False)
    slots: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    round: Mapped[IntervisionRound] = relationship(back_populates="sign_ups")


class IntervisionGroup(Base):
    __tablename__ = "intervision_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("intervision_round.id"))
    start_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    end_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    language: Mapped[str] = mapped_column(String(10))
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("intervision_sign_up.id"))
    member_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    calendar_uid: Mapped[str] = mapped_column(String(80), unique=True, default=new_calendar_uid)

    round: Mapped[IntervisionRound] = relationship(back_populates="groups")
