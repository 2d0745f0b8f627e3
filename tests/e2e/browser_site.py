"""A live site with people in it, for the browser tests."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from config.settings import load_config
from scheduler.db import Database
from scheduler.models import User
from scheduler.schema import upgrade_to_head
from scheduler.services.accounts import users
from tests.e2e.browser_support import LiveServer
from tests.web.conftest import PASSWORD, make_coach, make_programme, make_request, next_weekday_utc, propose
from web import create_app


@dataclass
class Site:
    url: str
    database: Database
    app: Any
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    people: dict[str, tuple[str, str]] = field(default_factory=dict)


def serve(tmp: Path, **overrides: Any) -> Iterator[tuple[Database, Any, LiveServer]]:
    """A migrated SQLite file, the app over it, and a live server; yields them, then stops."""
    url = f"sqlite:///{tmp / 'coaching.db'}"
    upgrade_to_head(url)
    database = Database(url)
    settings = load_config(
        "testing",
        database_url=url,
        mail_dir=str(tmp / "mail"),
        secret_key="browser-test-secret",
        celery_broker_url=f"sqla+sqlite:///{tmp / 'broker.db'}",
        **overrides,
    )
    app = create_app(settings, database=database)
    with LiveServer(app) as server:
        app.config["SETTINGS"] = dataclasses.replace(settings, base_url=server.url)
        yield database, app, server
    database.dispose()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A programme with a coach, a waiting and a proposed request, and an invited coach."""
    for database, app, server in serve(tmp_path_factory.mktemp("site")):
        site = Site(server.url, database, app)
        with database.sessions() as db:
            programme = make_programme(db)
            coach = make_coach(db, programme)
            site.people["coach"] = (coach.email, PASSWORD)
            _, site.tokens["waiting"] = make_request(db, programme, coachee_email="wait@coachees.example")
            request, site.tokens["proposed"] = make_request(db, programme, coachee_name="Kei Coachee")
            first = next_weekday_utc(0, 10, weeks_ahead=2)
            engagement = propose(db, request, coach.coach_id, [first + dt.timedelta(days=7 * i) for i in range(3)])
            site.ids["session"] = engagement.sessions[-1].id
            invited = make_coach(db, programme, email="new@coaches.example", name="New Coach")
            user = db.get(User, invited.user_id)
            assert user is not None
            user.password_hash = None
            site.tokens["invitation"] = users.invite_user(db, user)
            db.commit()
        yield site
