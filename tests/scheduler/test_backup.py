"""Backup and restore round trips: restore into an empty database and find the same rows."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import MetaData, select

from scheduler.cli import main
from scheduler.db import Database
from scheduler.demo import load_demo
from scheduler.services.errors import Conflict, InvalidInput
from scheduler.services.privacy import backup as backups
from tests.conftest import scratch_postgres


def _load_demo(url: str) -> None:
    database = Database(url)
    with database.sessions() as db, db.begin():
        load_demo(db, password="demo-password-1")
    database.dispose()


def all_rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in key order."""
    database = Database(url)
    metadata = MetaData()
    metadata.reflect(database.engine)
    rows = {}
    with database.engine.connect() as conn:
        for table in metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
    database.dispose()
    return rows


@pytest.fixture
def empty_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty database of the same kind as `database_url`."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    with scratch_postgres("coaching_restore") as url:
        yield url


def test_backup_then_restore_into_an_empty_database_gives_the_same_rows(
    database_url: str, empty_url: str, tmp_path: Path
) -> None:
    _load_demo(database_url)
    before = all_rows(database_url)
    assert len(before["coaching_request"]) == 60 and len(before["coach"]) == 16

    made = backups.backup(database_url, tmp_path / "backups" / backups.default_name(database_url))
    assert made.size > 0
    assert made.path.stat().st_mode & 0o077 == 0  # personal data: readable by the owner only

    backups.restore(empty_url, made.path)
    assert all_rows(empty_url) == before


def test_restore_refuses_a_database_that_is_not_empty(database_url: str, tmp_path: Path) -> None:
    made = backups.backup(database_url, tmp_path / "one.backup")
    before = all_rows(database_url)
    with pytest.raises(Conflict, match="not empty"):
        backups.restore(database_url, made.path)
    assert all_rows(database_url) == before


def test_restore_refuses_a_backup_of_the_other_kind(database_url: str, empty_url: str, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.backup"
    wrong.write_bytes(b"PGDMP..." if database_url.startswith("sqlite") else b"SQLite format 3\x00...")
    with pytest.raises(InvalidInput, match="not a"):
        backups.restore(empty_url, wrong)


@pytest.mark.postgres
def test_pg_dump_older_than_the_server_is_refused_with_a_clear_message(postgres_url: str, tmp_path: Path) -> None:
    old = tmp_path / "bin"
    old.mkdir()
    fake = old / "pg_dump"
    # A stand-in for an older client on PATH: only its version line matters here.
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 11.22'\n")
    fake.chmod(0o755)
    path = os.environ["PATH"]
    os.environ["PATH"] = f"{old}:{path}"
    try:
        with pytest.raises(Conflict, match=r"pg_dump 11 is older than the PostgreSQL 1[0-9] server"):
            backups.backup(postgres_url, tmp_path / "x.dump")
    finally:
        os.environ["PATH"] = path
    assert not (tmp_path / "x.dump").exists()
    assert backups.check_client_version("pg_dump", postgres_url) >= backups.server_major(postgres_url)


def coaching(tmp_path: Path, url: str, *args: str) -> Result:
    environment = {"VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": url, "MAIL_DIR": str(tmp_path / "mail")}
    return CliRunner().invoke(main, list(args), env=environment)


def test_cli_backup_and_restore(sqlite_url: str, tmp_path: Path) -> None:
    _load_demo(sqlite_url)
    made = coaching(tmp_path, sqlite_url, "backup")
    assert made.exit_code == 0, made.output
    [path] = (tmp_path / "var" / "backups").glob("coaching-*.db")
    assert str(path) in made.output

    target = f"sqlite:///{tmp_path / 'new.db'}"
    restored = coaching(tmp_path, target, "restore", str(path))
    assert restored.exit_code == 0, restored.output
    assert all_rows(target) == all_rows(sqlite_url)

    again = coaching(tmp_path, target, "restore", str(path))
    assert again.exit_code == 2
    assert "not empty" in again.output and "Traceback" not in again.output
