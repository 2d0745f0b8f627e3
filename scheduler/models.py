"""The coaching programme's data: SQLAlchemy 2 typed models.

Instants are stored in UTC (`UTCDateTime`); times of day and dates belong to their
owner's IANA timezone and are converted only at the edges. Status changes go through
`scheduler.services.transitions.change_status` (compare-and-set).
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    text,
)
from sqlalchemy import false as sql_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.db import Base, UTCDateTime


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def utc_text(value: dt.datetime) -> str:
    """An instant as the solver contract and the API write it: ISO 8601 in UTC, `Z`, to the second."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_calendar_uid() -> str:
    """A stable random calendar UID: nothing personal in it."""
    return f"{secrets.token_hex(16)}@coaching-scheduler"


class Level(enum.StrEnum):
    TRAINEE = "trainee"
    ACCREDITED = "accredited"
    SENIOR = "senior"


class Role(enum.StrEnum):
    SUPERVISOR = "supervisor"
    COACH = "coach"


class RequestStatus(enum.StrEnum):
    WAITING = "waiting"  # in the queue
    PROPOSED = "proposed"  # approved plan shown to the coachee
    CONFIRMED = "confirmed"  # coachee accepted
    DECLINED = "declined"  # coachee declined the proposal
    CANCELLED = "cancelled"  # coachee or supervisor cancelled
    COMPLETED = "completed"
    EXPIRED = "expired"  # left waiting too long (retention), closed without being served


class EngagementStatus(enum.StrEnum):
    DRAFT = "draft"  # from a solve, not yet approved
    APPROVED = "approved"  # approved by the supervisor, invites sent
    DECLINED = "declined"  # declined by coach or coachee
    CANCELLED = "cancelled"
    SUPERSEDED = "superseded"  # a draft replaced by a later solve


class SessionStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"  # live: counts against the coach's calendar
    CANCELLED = "cancelled"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SUPERSEDED = "superseded"  # overtaken by a later change before it was sent


class SolveRunStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for a worker (or the CLI)
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


def stored_enum(kind: type[enum.StrEnum]) -> Enum:
    """A status column: VARCHAR(20) holding the member's value (no database enum type, so no
    migration when a status is added); values outside the enum are refused before they are
    written, and rows read back as enum members."""
    return Enum(
        kind, native_enum=False, create_constraint=False, validate_strings=True, length=20,
        values_callable=lambda members: [m.value for m in members],
    )


class Programme(Base):
    """One coaching programme and its settings (horizon, session length, notice, topics)."""

    __tablename__ = "programme"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Brussels")
    horizon_start: Mapped[dt.date] = mapped_column(Date)
    horizon_end: Mapped[dt.date] = mapped_column(Date)
    slot_minutes: Mapped[int] = mapped_column(Integer, default=30)
    session_minutes: Mapped[int] = mapped_column(Integer, default=60)
    min_notice_hours: Mapped[int] = mapped_column(Integer, default=48)
    min_gap_days: Mapped[int] = mapped_column(Integer, default=7)
    max_gap_days: Mapped[int] = mapped_column(Integer, default=21)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    sensitive_topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    max_hours_trainee: Mapped[float] = mapped_column(Float, default=15)
    max_hours_accredited: Mapped[float] = mapped_column(Float, default=35)
    max_hours_senior: Mapped[float] = mapped_column(Float, default=50)
    organiser_email: Mapped[str] = mapped_column(String(254), default="coaching@programme.example")
    # Coaches take new coachees as engagements end: their coachee cap (and a supervisor's
    # trainee cap) counts engagements running at the same moment, not the whole horizon.
    capacity_over_time: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sql_false())


class User(Base):
    """A person who signs in: the supervisor or a coach (coachees have no account)."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(stored_enum(Role))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    api_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Part of every signed-in session; moving it on (sign-out, new password) ends all copies.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Supervisor(Base):
    """A Coach Supervisor: supervises trainees up to a number of engagements."""

    __tablename__ = "supervisor"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    max_trainee_engagements: Mapped[int] = mapped_column(Integer, default=6)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    coaches: Mapped[list[Coach]] = relationship(back_populates="supervisor")


class Coach(Base):
    """A volunteer coach: languages, topics, level, capacity and availability."""

    __tablename__ = "coach"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    level: Mapped[Level] = mapped_column(stored_enum(Level), default=Level.ACCREDITED)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("supervisor.id"))
    organisation: Mapped[str | None] = mapped_column(String(200))
    max_active_coachees: Mapped[int] = mapped_column(Integer, default=3)
    max_sessions_per_week: Mapped[int] = mapped_column(Integer, default=4)
    max_sessions_per_day: Mapped[int] = mapped_column(Integer, default=2)
    buffer_minutes: Mapped[int] = mapped_column(Integer, default=15)
    coaching_hours_since_supervision: Mapped[float] = mapped_column(Float, default=0.0)
    next_supervision: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    feed_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Where this coach meets coachees: an https video room or an address (one of them), and a note.
    meeting_url: Mapped[str | None] = mapped_column(String(500))
    meeting_address: Mapped[str | None] = mapped_column(String(500))
    meeting_note: Mapped[str | None] = mapped_column(String(500))
    # Set when the coach's account was closed and their personal fields erased.
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    supervisor: Mapped[Supervisor | None] = relationship(back_populates="coaches")
    availability: Mapped[list[AvailabilityRule]] = relationship(
        back_populates="coach", cascade="all, delete-orphan", order_by="AvailabilityRule.weekday"
    )
    exceptions: Mapped[list[AvailabilityException]] = relationship(
        back_populates="coach", cascade="all, delete-orphan", order_by="AvailabilityException.date"
    )
    busy: Mapped[list[BusyTime]] = relationship(back_populates="coach", cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint("level in ('trainee', 'accredited', 'senior')", name="coach_level"),
        CheckConstraint("max_active_coachees >= 0 and max_sessions_per_week >= 0", name="coach_caps"),
    )


class AvailabilityRule(Base):
    """Weekly availability: weekday 0=Monday, local times in the coach's timezone, half-open."""

    __tablename__ = "availability_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("coach.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(Integer)
    start: Mapped[dt.time] = mapped_column(Time)
    end: Mapped[dt.time] = mapped_column(Time)

    coach: Mapped[Coach] = relationship(back_populates="availability")
    __table_args__ = (
        CheckConstraint("weekday between 0 and 6", name="availability_weekday"),
        CheckConstraint('"start" < "end"', name="availability_order"),
    )


class AvailabilityException(Base):
    """Replaces the weekly pattern on one local date; no start/end means not available."""

    __tablename__ = "availability_exception"

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("coach.id", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date)
    start: Mapped[dt.time | None] = mapped_column(Time)
    end: Mapped[dt.time | None] = mapped_column(Time)

    coach: Mapped[Coach] = relationship(back_populates="exceptions")


class BusyTime(Base):
    """Other commitments of a coach (not coaching sessions of this programme)."""

    __tablename__ = "busy_time"

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("coach.id", ondelete="CASCADE"))
    start_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    end_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    coach: Mapped[Coach] = relationship(back_populates="busy")


class CoachingRequest(Base):
    """A coachee's request: what they want and when they can meet (their own timezone)."""

    __tablename__ = "coaching_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"))
    coachee_name: Mapped[str] = mapped_column(String(200))
    coachee_email: Mapped[str] = mapped_column(String(254))
    timezone: Mapped[str] = mapped_column(String(64))
    languages: Mapped[list[str]] = mapped_column(JSON)  # first is preferred
    topics: Mapped[list[str]] = mapped_column(JSON)
    organisation: Mapped[str | None] = mapped_column(String(200))
    sessions_wanted: Mapped[int] = mapped_column(Integer, default=3)
    session_minutes: Mapped[int] = mapped_column(Integer, default=60)
    min_gap_days: Mapped[int] = mapped_column(Integer, default=7)
    max_gap_days: Mapped[int] = mapped_column(Integer, default=21)
    earliest_start: Mapped[dt.date] = mapped_column(Date)
    # {"mon": [["17:00", "20:00"]], ...} in the coachee's timezone
    windows: Mapped[dict[str, list[list[str]]]] = mapped_column(JSON)
    priority: Mapped[int] = mapped_column(Integer, default=1)
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    message: Mapped[str] = mapped_column(Text, default="")
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    preferred_coach_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    excluded_coach_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # forbidden by supervisor
    pinned_coach_id: Mapped[int | None] = mapped_column(ForeignKey("coach.id"))
    status: Mapped[RequestStatus] = mapped_column(stored_enum(RequestStatus), default=RequestStatus.WAITING)
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    public_ref: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: secrets.token_hex(8))
    # Set when the coachee's personal fields were erased (on request or by retention).
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    engagements: Mapped[list[Engagement]] = relationship(back_populates="request", order_by="Engagement.id")

    __table_args__ = (
        CheckConstraint("sessions_wanted between 1 and 6", name="request_sessions"),
        CheckConstraint("priority between 1 and 3", name="request_priority"),
        Index("ix_request_status", "status"),
    )


class Engagement(Base):
    """A request given to a coach, from draft (solver) to approved, declined or cancelled."""

    __tablename__ = "engagement"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("coaching_request.id"))
    coach_id: Mapped[int] = mapped_column(ForeignKey("coach.id"))
    status: Mapped[EngagementStatus] = mapped_column(stored_enum(EngagementStatus), default=EngagementStatus.DRAFT)
    coach_response: Mapped[str | None] = mapped_column(String(20))  # accepted | declined
    solve_run_id: Mapped[int | None] = mapped_column(ForeignKey("solve_run.id"))
    score: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The supervisor's choice of place for this engagement; when unset, the coach's own.
    meeting_url: Mapped[str | None] = mapped_column(String(500))
    meeting_address: Mapped[str | None] = mapped_column(String(500))
    meeting_note: Mapped[str | None] = mapped_column(String(500))

    request: Mapped[CoachingRequest] = relationship(back_populates="engagements")
    coach: Mapped[Coach] = relationship()
    sessions: Mapped[list[CoachingSession]] = relationship(
        back_populates="engagement", order_by="CoachingSession.start_utc"
    )

    __table_args__ = (Index("ix_engagement_status", "status"),)


class CoachingSession(Base):
    """One coaching session. `coach_id` is repeated here so the database can refuse overlaps."""

    __tablename__ = "coaching_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id"))
    coach_id: Mapped[int] = mapped_column(ForeignKey("coach.id"))
    start_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    end_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[SessionStatus] = mapped_column(stored_enum(SessionStatus), default=SessionStatus.DRAFT)
    calendar_uid: Mapped[str] = mapped_column(String(80), unique=True, default=new_calendar_uid)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    reminder_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Answers from the participants' calendars (iTIP REPLY): accepted | declined | tentative.
    coach_answer: Mapped[str | None] = mapped_column(String(20))
    coachee_answer: Mapped[str | None] = mapped_column(String(20))

    engagement: Mapped[Engagement] = relationship(back_populates="sessions")
    coach: Mapped[Coach] = relationship()

    __table_args__ = (
        CheckConstraint("start_utc < end_utc", name="session_order"),
        Index("ix_session_coach_start", "coach_id", "start_utc"),
    )


class OutboxMessage(Base):
    """A message people must hear about, written in the same transaction as the change.

    One row per (session or request, recipient, kind, sequence): a change is sent at most once.
    """

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("coaching_session.id"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("coaching_request.id"))
    recipient: Mapped[str] = mapped_column(String(254))
    recipient_role: Mapped[str] = mapped_column(String(20))  # coach | coachee | supervisor
    kind: Mapped[str] = mapped_column(String(20))  # REQUEST | CANCEL | REMINDER | LINK | INVITATION
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[OutboxStatus] = mapped_column(stored_enum(OutboxStatus), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[str | None] = mapped_column(String(200))
    # "<session or request>:<recipient>:<kind>:<sequence>", unique: NULLs would never
    # collide in a multi-column unique constraint, so the key is spelled out.
    dedupe_key: Mapped[str] = mapped_column(String(400), unique=True)

    __table_args__ = (Index("ix_outbox_status", "status"),)


class OutboxState(Base):
    """The outbox as a whole (one row): paused while the mail server cannot be reached."""

    __tablename__ = "outbox_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    paused_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The one probe of a paused outbox: whoever moves this forward (compare-and-set) probes.
    next_probe_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class AccessToken(Base):
    """A coachee's private link: random, stored hashed, single-purpose, expiring."""

    __tablename__ = "access_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(30))  # request-status | set-password
    request_id: Mapped[int | None] = mapped_column(ForeignKey("coaching_request.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class SolveRun(Base):
    """One run of the solver: its progress while it runs and the draft it produced."""

    __tablename__ = "solve_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"))
    status: Mapped[SolveRunStatus] = mapped_column(stored_enum(SolveRunStatus), default=SolveRunStatus.QUEUED)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    solver_status: Mapped[str | None] = mapped_column(String(20))
    served_weight: Mapped[int | None] = mapped_column(Integer)
    served_weight_bound: Mapped[int | None] = mapped_column(Integer)
    elapsed_seconds: Mapped[float | None] = mapped_column(Float)
    unassigned: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)

    # One solve per programme at a time: a second queued or running run is refused by the database too.
    __table_args__ = (
        Index(
            "uq_solve_run_one_active", "programme_id", unique=True,
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
    )


class AuditEntry(Base):
    """One state change: who (acting as what role, through which interface) changed what, when.

    Append-only (the database refuses UPDATE and DELETE). It holds references and codes
    only (ids, statuses, setting names), never a personal value, so erasing a person
    leaves every entry valid. See `scheduler.services.audit`.
    """

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(Integer)  # no foreign key: the log outlives rows
    actor_role: Mapped[str] = mapped_column(String(20))  # supervisor | coach | coachee | job | operator
    interface: Mapped[str] = mapped_column(String(20))  # web | api | cli | job
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    old: Mapped[Any] = mapped_column(JSON, nullable=True)
    new: Mapped[Any] = mapped_column(JSON, nullable=True)
    # What the entry is about, for filtering and for a person's export.
    request_id: Mapped[int | None] = mapped_column(Integer)
    coach_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_audit_at", "at"),
        Index("ix_audit_request", "request_id"),
        Index("ix_audit_coach", "coach_id"),
    )
