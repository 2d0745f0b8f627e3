"""Schemathesis over every API operation as supervisor, coach, coachee and anonymous: zero 5xx, zero contract breaks."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import sessionmaker

from scheduler.db import Database
from scheduler.models import User
from scheduler.services.accounts import users as accounts
from tests.web.api_fuzz import fuzz_api
from tests.web.conftest import app_for_test, make_world

EXAMPLES = 2


def fuzz_world(database: Database, tmp_path: Path) -> tuple[Flask, dict[str, dict[str, str]]]:
    """An app over a small programme (a coach with sessions, a waiting and a proposed request) and each role's headers."""
    with sessionmaker(database.engine, expire_on_commit=False)() as db:
        world = make_world(db)
        coach, status_token = world.coach, world.engaged_token
        supervisor = db.get_one(User, world.supervisor.user_id)
        tokens = {
            "supervisor": accounts.issue_api_token(db, supervisor),
            "coach": accounts.issue_api_token(db, db.get_one(User, coach.user_id)),
        }
        db.commit()
    # schemathesis checks every answer against the document itself
    app = app_for_test(database, tmp_path, check_contract=False, rate_limits_enabled=False)
    roles = {
        "supervisor": {"Authorization": f"Bearer {tokens['supervisor']}"},
        "coach": {"Authorization": f"Bearer {tokens['coach']}"},
        "coachee": {"X-Status-Token": status_token},
        "anonymous": {},
    }
    return app, roles


@pytest.mark.slow
def test_every_operation_as_every_role_gives_no_5xx_and_keeps_the_contract(database: Database, tmp_path: Path) -> None:
    app, roles = fuzz_world(database, tmp_path)
    report = fuzz_api(app, roles, examples=EXAMPLES, examples_without_account=1)
    assert report.cases > 0
    assert not [s for s in report.statuses if s >= 500]
    assert not report.findings, "\n\n".join(report.findings)
