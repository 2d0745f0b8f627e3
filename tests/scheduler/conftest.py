"""Fixtures for invites and background jobs: a real SMTP server (aiosmtpd), settings, sessions."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import Settings, load_config
from scheduler.db import Database
from scheduler.models import (
    Coach,
    CoachingRequest,
    CoachingSession,
    OutboxMessage,
    Programme,
    RequestStatus,
    SessionStatus,
)
from scheduler.services.messaging import outbox
from tests.builders import add_engagement


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    sender: str
    recipients: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class RecordingHandler:
    """Keeps every accepted message; hooks can refuse a recipient or stall mid-transaction."""

    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    on_rcpt: Callable[[str], str | None] | None = None
    on_data: Callable[[bytes], str | None] | None = None
    on_quit: Callable[[], None] | None = None
    arrived: threading.Condition = field(default_factory=threading.Condition)
    peers: set[tuple[str, int]] = field(default_factory=set)  # one per connection that sent a message

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        if self.on_quit is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.on_quit)
        return "221 Bye"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        with self.lock:
            self.peers.add(session.peer)
        if self.on_rcpt is not None:
            answer = await asyncio.get_running_loop().run_in_executor(None, self.on_rcpt, address)
            if answer:
                return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = bytes(envelope.original_content or envelope.content)
        if self.on_data is not None and (answer := self.on_data(raw)):
            return answer
        with self.arrived:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), raw))
            self.arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout=timeout)
            return list(self.received)


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: RecordingHandler

    @property
    def received(self) -> list[Received]:
        with self.handler.arrived:
            return list(self.handler.received)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1 and a free port, recording what it accepts."""
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, handler)
    finally:
        controller.stop()


def make_settings(tmp_path: Path, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "mail_dir": str(tmp_path / "mail"),
        "secret_key": "test-secret-key",
        "celery_broker_url": f"sqla+sqlite:///{tmp_path / 'broker.db'}",
        "mail_from": "coaching@programme.example",
        "base_url": "https://coaching.example",
        "outbox_lease_seconds": 2,
        "outbox_retry_base_seconds": 0.2,
        "outbox_sweep_grace_seconds": 0,
    }
    values.update(overrides)
    return load_config("testing", **values)


@pytest.fixture
def sqlite_db(sqlite_url: str) -> Iterator[Database]:
    """A migrated SQLite file of its own (most invite tests need no second database)."""
    database = Database(sqlite_url)
    yield database
    database.dispose()


@pytest.fixture
def db(sqlite_db: Database) -> Iterator[Session]:
    """A session on the test's own migrated SQLite file."""
    with sqlite_db.sessions() as session:
        yield session


@pytest.fixture
def any_db(database: Database) -> Iterator[Session]:
    """The same test on SQLite and PostgreSQL."""
    with database.sessions() as session:
        yield session


@pytest.fixture
def file_settings(tmp_path: Path, sqlite_db: Database) -> Settings:
    return make_settings(tmp_path, sqlite_db.url)


def smtp_settings_for(tmp_path: Path, database_url: str, server: SmtpServer, **overrides: Any) -> Settings:
    return make_settings(
        tmp_path, database_url, mail_backend="smtp", smtp_host=server.host, smtp_port=server.port, smtp_timeout=5.0,
        **overrides,
    )


def unreachable_smtp_settings(tmp_path: Path, database_url: str, **overrides: Any) -> Settings:
    """Settings whose SMTP server never answers: a free port nobody listens on."""
    return make_settings(tmp_path, database_url, mail_backend="smtp", smtp_port=free_port(), **overrides)


@pytest.fixture
def smtp_settings(tmp_path: Path, sqlite_db: Database, smtp_server: SmtpServer) -> Settings:
    return smtp_settings_for(tmp_path, sqlite_db.url, smtp_server)


# A Monday evening in Brussels, far enough ahead for every reminder and notice rule.
SOON = dt.datetime(2027, 3, 22, 17, 0, tzinfo=dt.UTC)


def outbox_rows(database: Database) -> list[OutboxMessage]:
    """Every outbox row, oldest first, read in a session of its own."""
    with database.sessions() as db:
        return list(db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


class Sessions:
    """Builds live coaching sessions straight in the database (approval is not under test here)."""

    def __init__(self) -> None:
        self.count = 0

    def programme(self, db: Any) -> Programme:
        programme = db.query(Programme).first()
        if programme is None:
            programme = Programme(
                name="Test programme", timezone="Europe/Brussels",
                horizon_start=dt.date(2026, 1, 1), horizon_end=dt.date(2027, 12, 31),
                organiser_email="organiser@programme.example",
            )
            db.add(programme)
            db.flush()
        return programme

    def add(
        self,
        db: Any,
        start_utc: dt.datetime,
        *,
        minutes: int = 60,
        coach_tz: str = "Europe/Brussels",
        coachee_tz: str = "America/New_York",
        status: str = SessionStatus.SCHEDULED.value,
        coach: Coach | None = None,
    ) -> CoachingSession:
        self.count += 1
        n = self.count
        programme = self.programme(db)
        if coach is None:
            coach = Coach(
                programme_id=programme.id, name=f"Coach Ånna {n}", email=f"coach{n}@coaches.example",
                timezone=coach_tz, languages=["en"], topics=["career"],
            )
            db.add(coach)
            db.flush()
        request = CoachingRequest(
            programme_id=programme.id, coachee_name=f"Zoë Coachee {n}", coachee_email=f"coachee{n}@members.example",
            timezone=coachee_tz, languages=["en"], topics=["career"], earliest_start=dt.date(2026, 1, 1),
            windows={"mon": [["09:00", "17:00"]]}, consent=True, status=RequestStatus.PROPOSED.value,
        )
        db.add(request)
        db.flush()
        engagement = add_engagement(db, request, coach.id, [start_utc], minutes=minutes,
                                    approved_at=start_utc - dt.timedelta(days=7), session_status=status)
        return engagement.sessions[0]


    def queue(
        self, database: Database, count: int, *, kind: str = outbox.REQUEST, start: dt.datetime = SOON
    ) -> list[int]:
        """`count` live sessions a day apart from `start`, each with its messages queued (committed); their ids."""
        ids = []
        with database.sessions() as db, db.begin():
            for i in range(count):
                session = self.add(db, start + dt.timedelta(days=i))
                outbox.enqueue_session_messages(db, session, kind)
                ids.append(session.id)
        return ids


@pytest.fixture
def sessions() -> Sessions:
    return Sessions()
