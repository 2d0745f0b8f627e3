"""Shared fixtures: a freshly migrated database per test, on SQLite and (where it answers) PostgreSQL.

Migrating once per run into a template and copying it per test keeps tests real (Alembic
built the schema) and fast.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from scheduler.db import Database
from scheduler.schema import upgrade_to_head
from tests.servers import POSTGRES, require_server

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade_to_head(f"sqlite:///{path}")
    return path


def _pg_admin():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True)


@contextlib.contextmanager
def scratch_postgres(prefix: str, template: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database for one test (a copy of `template`, or empty), dropped after it."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with _pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    require_server(POSTGRES)
    name = f"coaching_tpl_{os.getpid()}"
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    upgrade_to_head(f"postgresql://postgres@127.0.0.1:5432/{name}")
    yield name
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "coaching.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    with scratch_postgres("coaching", request.getfixturevalue("pg_template")) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """The same test on a SQLite file and on PostgreSQL."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.dispose()
