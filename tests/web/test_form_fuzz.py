"""Hostile values posted to every HTML form (with a valid CSRF token): never a 5xx, and nothing stored changes when the answer is an error.

The forms are found in `app.url_map` (every POST rule outside the API), so a new form is
fuzzed the day it exists. Each is posted by the person who may use it (the supervisor,
a coach, or a coachee/anonymous visitor).
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import MetaData, Table, create_engine, select
from sqlalchemy.orm import Session

from scheduler.db import Database
from scheduler.services.accounts import users as accounts
from scheduler.services.accounts.tokens import SET_PASSWORD, issue_token
from tests.web.conftest import Person, app_for_test, csrf_token, make_intervision_round, make_world, sign_in

HOSTILE: list[Any] = [
    "\x00",
    "Mia\r\nBcc: everyone@x.example",
    "x" * 3000,
    '=HYPERLINK("http://evil.example")',
    "-99999999999999999999999999",
    "<script>alert(1)</script>' OR 1=1 --",
    ["career", "\x1b[31m"],
]
# Every field name any form reads: each hostile value goes into all of them at once.
FIELDS = [
    "email", "password", "confirm", "coachee_name", "coachee_email", "organisation", "topics", "language_1",
    "language_2", "language_3", "sessions_wanted", "timezone", "earliest_start", "message", "consent", "windows_mon",
    "windows_sat", "name", "languages", "level", "supervisor_id", "supervisor_email", "coach_id", "all",
    "engagement_ids", "resolve", "next", "date", "available", "start", "end", "max_active_coachees",
    "max_sessions_per_week", "max_sessions_per_day", "buffer_minutes", "availability", "horizon_start", "horizon_end",
    "session_minutes", "slot_minutes", "min_notice_hours", "min_gap_days", "max_gap_days", "sensitive_topics",
    "max_hours_trainee", "max_hours_accredited", "max_hours_senior",
]  # fmt: skip
SKIPPED = {"auth.logout"}  # signs the fuzzer out; covered by the session tests


@lru_cache(maxsize=4)
def _tables(url: str) -> list[Table]:
    metadata = MetaData()
    metadata.reflect(create_engine(url))
    return [table for name, table in metadata.tables.items() if name != "alembic_version"]


def _snapshot(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored row, to compare before and after an answer."""
    with database.engine.connect() as connection:
        return {
            table.name: sorted(map(tuple, connection.execute(select(table)).all()), key=repr)
            for table in _tables(database.url)
        }


@pytest.fixture
def fuzz_app(web_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    return app_for_test(web_database, tmp_path, rate_limits_enabled=False)


def _world(db: Session) -> tuple[dict[str, str], Person, Person]:
    world = make_world(db)
    coach, engagement = world.coach, world.engagement
    invited = accounts.create_user(db, "new@coaches.example", "coach")
    round_ = make_intervision_round(db, world.programme)
    values = {
        "token": world.engaged_token,
        "request_id": str(world.waiting.id),
        "coach_id": str(coach.coach_id),
        "engagement_id": str(engagement.id),
        "session_id": str(engagement.sessions[0].id),
        "exception_id": "1",
        "answer": "accept",
        "ref": round_.public_ref,
        "round_id": str(round_.id),
        "message_id": "999",
        "slug": "requests-per-month",
        "set_password_token": issue_token(db, SET_PASSWORD, valid_for=dt.timedelta(days=1), user_id=invited.id),
    }
    db.commit()
    return values, coach, world.supervisor


def _url(rule: str, endpoint: str, values: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "token" and endpoint == "auth.set_password":
            return values["set_password_token"]
        return values[name]

    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", fill, rule)


@pytest.mark.slow
def test_hostile_values_in_every_form_never_crash_and_change_nothing_on_error(
    fuzz_app: Flask, web_database: Database, db: Session
) -> None:
    values, coach, supervisor = _world(db)
    clients: dict[str, FlaskClient] = {"anonymous": fuzz_app.test_client()}
    clients["coach"] = fuzz_app.test_client()
    sign_in(clients["coach"], coach)
    clients["supervisor"] = fuzz_app.test_client()
    sign_in(clients["supervisor"], supervisor)
    forms = [
        rule
        for rule in fuzz_app.url_map.iter_rules()
        if "POST" in (rule.methods or ()) and not rule.rule.startswith("/api/") and rule.endpoint not in SKIPPED
    ]
    assert len(forms) >= 25, "the url map lists the forms"
    crashes: list[str] = []
    changed: list[str] = []
    posted = 0
    for rule in forms:
        role = rule.rule.split("/")[1] if rule.rule.split("/")[1] in ("coach", "supervisor") else "anonymous"
        client = clients[role]
        page = {"coach": "/coach/", "supervisor": "/supervisor/"}.get(role, "/request")
        token = csrf_token(client, page)
        url = _url(rule.rule, rule.endpoint, values)
        stored = _snapshot(web_database)
        for value in HOSTILE:
            response = client.post(url, data={"csrf_token": token, **dict.fromkeys(FIELDS, value)})
            posted += 1
            after = _snapshot(web_database)
            if response.status_code >= 500:
                crashes.append(f"{role} POST {rule.rule} with {value!r:.40}: {response.status_code}")
            elif response.status_code >= 400 and after != stored:
                changed.append(f"{role} POST {rule.rule} with {value!r:.40}: {response.status_code} but data changed")
            stored = after
    assert posted >= len(forms) * len(HOSTILE)
    assert not crashes, "\n".join(crashes)
    assert not changed, "\n".join(changed)
