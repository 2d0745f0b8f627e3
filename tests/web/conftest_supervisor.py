"""Fixtures for the supervisor pages and the API: test modules load them with `pytest_plugins`.

The app here runs Celery eagerly, so "run the solver" executes the real task in the
request and the page shows the finished run; the solver gets a short time limit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from config.settings import load_config
from scheduler.db import Database
from tests.web.conftest import Person, sign_in
from tests.web.openapi_contract import check_api_responses
from web import create_app


@pytest.fixture
def eager_app(web_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    settings = load_config(
        "testing",
        database_url=web_database.url,
        mail_dir=str(tmp_path / "mail"),
        secret_key="test-secret-key-not-for-production",
        celery_task_always_eager=True,
        celery_broker_url=f"sqla+sqlite:///{tmp_path / 'broker.db'}",
        solver_time_limit=3.0,
        solver_workers=1,
    )
    app = create_app(settings, database=web_database)
    check_api_responses(app)
    return app


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
