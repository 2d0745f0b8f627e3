"""Walking skeleton end to end, exactly as a person types it:

    coaching init-db && coaching demo && coaching solve && coaching approve --all && coaching send-invites

leaves one e-mail per participant and session in MAIL_DIR, each carrying that session's
VEVENT with METHOD:REQUEST; on a SQLite file and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import subprocess
import sys
from pathlib import Path

import icalendar
from sqlalchemy import select

from scheduler.db import Database
from scheduler.models import CoachingSession, SessionStatus


def run(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "scheduler.cli", *args], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, f"coaching {' '.join(args)}: {result.stdout}{result.stderr}"
    return result.stdout


def test_demo_solve_approve_send(database_url: str, tmp_path: Path) -> None:
    mail_dir = tmp_path / "mail"
    env = {
        **os.environ,
        "VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": database_url,
        "MAIL_BACKEND": "file",
        "MAIL_DIR": str(mail_dir),
        "SOLVER_TIME_LIMIT": "5",
    }
    run(env, "init-db")
    run(env, "demo", "--password", "demo-password-1")
    assert "solve run 1: " in run(env, "solve")
    approved = run(env, "approve", "--all")
    assert approved.startswith("approved ")
    run(env, "send-invites")

    database = Database(database_url)
    with database.sessions() as db:
        sessions = db.scalars(select(CoachingSession).where(CoachingSession.status == SessionStatus.SCHEDULED.value)).all()
        expected = {
            (s.calendar_uid, recipient): s
            for s in sessions
            for recipient in (s.coach.email, s.engagement.request.coachee_email)
        }
    database.dispose()
    assert len(sessions) >= 40, "the demo programme should place most requests"

    seen: dict[tuple[str, str], int] = {}
    for path in sorted(mail_dir.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        if not parts:
            continue  # e.g. a coachee's status link
        assert len(parts) == 1
        assert parts[0].get_param("method") == "REQUEST"
        calendar = icalendar.Calendar.from_ical(parts[0].get_payload(decode=True))
        assert calendar["METHOD"] == "REQUEST"
        events = calendar.walk("VEVENT")
        assert len(events) == 1, "RFC 5546: one UID per message"
        key = (str(events[0]["UID"]), message["To"].addresses[0].addr_spec)
        session = expected[key]
        assert events[0].decoded("DTSTART").astimezone(dt.UTC) == session.start_utc
        assert events[0].decoded("DTEND").astimezone(dt.UTC) == session.end_utc
        seen[key] = seen.get(key, 0) + 1
    assert seen == {key: 1 for key in expected}, "exactly one message per participant and session"
