"""Each edge says who acts: the CLI records the operator (the web and jobs are tested with their pages and tasks)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from scheduler.cli import main
from scheduler.db import Database
from scheduler.models import AuditEntry, CoachingSession, Engagement, EngagementStatus, SessionStatus, utcnow
from scheduler.services import audit
from tests.scheduler import privacy_builders as build


def test_an_approval_from_the_cli_is_recorded_as_the_operator(sqlite_url: str, tmp_path: Path) -> None:
    database = Database(sqlite_url)
    start = utcnow() + dt.timedelta(days=10)
    with database.sessions() as db, db.begin():
        programme = build.programme(db)
        coach = build.coach(db, programme)
        request = build.request(db, programme, utcnow())
        draft = Engagement(request_id=request.id, coach_id=coach.id, status=EngagementStatus.DRAFT.value)
        db.add(draft)
        db.flush()
        db.add(CoachingSession(engagement_id=draft.id, coach_id=coach.id, start_utc=start,
                               end_utc=start + dt.timedelta(hours=1), status=SessionStatus.DRAFT.value))
        draft_id = draft.id
    env = {"VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": sqlite_url, "MAIL_DIR": str(tmp_path / "mail")}
    result = CliRunner().invoke(main, ["approve", str(draft_id)], env=env)
    assert result.exit_code == 0, result.output
    with database.sessions() as db:
        [entry] = db.scalars(select(AuditEntry).where(AuditEntry.action == audit.APPROVE)).all()
        assert (entry.actor_role, entry.interface, entry.actor_user_id, entry.object_id) == (
            "operator", "cli", None, draft_id)
    database.dispose()


def test_a_change_without_an_edge_is_recorded_as_unknown_not_lost(sqlite_url: str) -> None:
    database = Database(sqlite_url)
    with database.sessions() as db, db.begin():
        programme = build.programme(db)
        audit.record(db, audit.SETTINGS, programme, old={"name": "a"}, new={"name": "b"})
    with database.sessions() as db:
        [entry] = db.scalars(select(AuditEntry)).all()
        assert (entry.actor_role, entry.interface) == ("unknown", "unknown")
    database.dispose()
