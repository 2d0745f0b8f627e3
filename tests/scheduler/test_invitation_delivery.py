"""A coach's invitation is delivered with a working set-password link, and the token leaves the outbox."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from pathlib import Path

import pytest
from sqlalchemy import select

from config import load_config
from scheduler.db import Database
from scheduler.demo import load_demo
from scheduler.models import OutboxMessage, Programme
from scheduler.services.accounts import users
from scheduler.services.coaches import staff
from scheduler.services.messaging import delivery
from scheduler.unit_of_work import AfterCommit, UnitOfWork


def test_invitation_is_sent_once_with_the_link_and_the_token_is_then_cleared(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    settings = load_config("testing", database_url=sqlite_url, mail_dir=str(tmp_path / "mail"),
                           base_url="https://coaching.example.org")
    database = Database(sqlite_url)
    with database.sessions() as db, db.begin():
        load_demo(db, password="demo-password-1", today=dt.date(2026, 11, 23))
    handed: list[AfterCommit] = []
    with UnitOfWork(database, settings, after_commit=lambda _settings, work: handed.append(work)) as db:
        programme = db.scalars(select(Programme)).one()
        invitation = staff.invite_coach(
            db, programme,
            {"name": "Nia New", "email": "nia@coaches.example", "timezone": "Europe/Brussels", "languages": "en"},
        )
    assert [len(work.outbox_ids) for work in handed] == [1], "edges dispatch the invitation right after commit"

    assert delivery.deliver_all_pending(database, settings) == (1, 0)
    assert delivery.deliver_all_pending(database, settings) == (0, 0)  # once

    (path,) = (tmp_path / "mail").glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["To"].addresses[0].addr_spec == "nia@coaches.example"
    body = message.get_body(("plain",)).get_content()
    assert f"https://coaching.example.org/set-password/{invitation.token}" in body
    with database.sessions() as db:
        row = db.get_one(OutboxMessage, handed[0].outbox_ids[0])
        assert row.status == "sent" and "token" not in row.payload
        assert users.invitation_user(db, invitation.token).email == "nia@coaches.example"
    database.dispose()
