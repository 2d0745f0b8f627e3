"""One unit of work for every edge: a web request, a CLI command, a Celery task.

Services add rows and never commit. The unit of work commits, and only then hands what
must run after the commit to the task layer: the outbox messages this transaction
wrote (each becomes a delivery task) and the solve runs it queued (each becomes a solve
task). Nothing is handed over when the transaction rolls back, so a worker never looks
for a row that does not exist.

The task layer is reached through one port, `set_after_commit_handler`: the Celery side
(`scheduler.tasks.hand_over`) registers itself where a broker is in use (the web app's
`celery_init_app`, the CLI, the worker). With no handler the rows simply wait: the outbox
sweeper and `coaching send-invites` still deliver them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from config.settings import Settings
from scheduler.db import Database
from scheduler.models import OutboxMessage, OutboxStatus, SolveRun

_AFTER_COMMIT = "after_commit_work"
ACTOR = "actor"


@dataclass(frozen=True)
class AfterCommit:
    """What a committed unit of work leaves for the task layer."""

    outbox_ids: tuple[int, ...] = ()
    solve_run_ids: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.outbox_ids or self.solve_run_ids)


AfterCommitHandler = Callable[[Settings, AfterCommit], object]
_handler: AfterCommitHandler | None = None


def set_after_commit_handler(handler: AfterCommitHandler | None) -> None:
    """The one port to the task layer: who receives the work after each commit."""
    global _handler
    _handler = handler


def hand_over(settings: Settings, work: AfterCommit) -> None:
    """Give committed work to the registered handler (none registered: the rows wait for the sweeper)."""
    if work and _handler is not None:
        _handler(settings, work)


def _collected(db: Session) -> dict[str, list[int]]:
    found: dict[str, list[int]] = db.info.setdefault(_AFTER_COMMIT, {"outbox": [], "solve": []})
    return found


def track(db: Session) -> Session:
    """Note every outbox row and solve run this session inserts (or outbox row it makes pending again),
    to hand them over after commit."""
    if db.info.get(_AFTER_COMMIT) is not None:
        return db
    _collected(db)

    @event.listens_for(db, "after_flush")
    def _note_new_rows(session: Session, _context: Any) -> None:
        found = _collected(session)
        for row in session.new:
            if isinstance(row, OutboxMessage):
                found["outbox"].append(row.id)
            elif isinstance(row, SolveRun):
                found["solve"].append(row.id)
        # A row made pending again (the supervisor's retry of a failed message) goes to the worker too.
        for row in session.dirty:
            if (isinstance(row, OutboxMessage) and row.status == OutboxStatus.PENDING.value
                    and inspect(row).attrs.status.history.has_changes()):
                found["outbox"].append(row.id)

    @event.listens_for(db, "after_rollback")
    def _forget(session: Session) -> None:
        found = _collected(session)
        found["outbox"].clear()
        found["solve"].clear()

    return db


def take_after_commit(db: Session) -> AfterCommit:
    """What this session has inserted since the last commit (and forget it)."""
    db.flush()
    found = _collected(db)
    work = AfterCommit(tuple(found["outbox"]), tuple(found["solve"]))
    found["outbox"].clear()
    found["solve"].clear()
    return work


def commit(db: Session, settings: Settings, after_commit: AfterCommitHandler | None = None) -> AfterCommit:
    """Commit `db`, then hand what it wrote to the task layer; returns what was handed over.

    `after_commit` replaces the registered handler for this commit (a task hands its
    rows to its own Celery app).
    """
    work = take_after_commit(db)
    try:
        db.commit()
    except BaseException:
        db.rollback()
        raise
    if after_commit is not None:
        if work:
            after_commit(settings, work)
    else:
        hand_over(settings, work)
    return work


def actor(user_id: int | None, role: str | None, interface: str) -> dict[str, Any]:
    """Who acts, as the audit log records it (the edge sets it on the session)."""
    return {"user_id": user_id, "role": role, "interface": interface}


class UnitOfWork:
    """`with UnitOfWork(database, settings) as db:` commits on success, then hands over; rolls back on error."""

    def __init__(
        self,
        database: Database,
        settings: Settings,
        *,
        acting: dict[str, Any] | None = None,
        after_commit: AfterCommitHandler | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.acting = acting
        self.after_commit = after_commit
        self.session: Session | None = None

    def open(self) -> Session:
        if self.session is None:
            self.session = track(self.database.sessions())
            if self.acting is not None:
                self.session.info[ACTOR] = self.acting
        return self.session

    def commit(self) -> AfterCommit:
        return commit(self.open(), self.settings, self.after_commit)

    def rollback(self) -> None:
        if self.session is not None:
            self.session.rollback()

    def close(self) -> None:
        if self.session is not None:
            self.session.rollback()
            self.session.close()
            self.session = None

    def __enter__(self) -> Session:
        return self.open()

    def __exit__(
        self, kind: type[BaseException] | None, _value: BaseException | None, _trace: TracebackType | None
    ) -> None:
        try:
            if kind is None:
                self.commit()
        finally:
            self.close()
