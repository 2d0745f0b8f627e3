"""Fixtures for the supervisor pages and the API: test modules load them with `pytest_plugins`.

The app here runs Celery eagerly, so "run the solver" executes the real task in the
request and the page shows the finished run; the solver gets a short time limit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from scheduler.db import Database
from tests.web.conftest import Person, app_for_test, sign_in


@pytest.fixture
def eager_app(web_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    return app_for_test(
        web_database,
        tmp_path,
        celery_task_always_eager=True,
        celery_broker_url=f"sqla+sqlite:///{tmp_path / 'broker.db'}",
        solver_time_limit=3.0,
        solver_workers=1,
    )


@pytest.fixture
def supervisor_client(eager_app: Flask, supervisor: Person) -> FlaskClient:
    client = eager_app.test_client()
    sign_in(client, supervisor)
    return client


@pytest.fixture
def coach_client(eager_app: Flask, coach: Person) -> FlaskClient:
    client = eager_app.test_client()
    sign_in(client, coach)
    return client
