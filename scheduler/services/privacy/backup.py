"""Backup and restore of a programme's database.

PostgreSQL goes through `pg_dump --format=custom` and `pg_restore` (the password, if
any, through the environment, never on a command line other users can see); SQLite
through its online backup API, which copies a consistent snapshot while the app runs.
A backup holds personal data: files are written readable by their owner only.
Restore goes into an empty database only, so it can never mix two programmes' rows.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import URL, make_url

from scheduler.db import make_engine
from scheduler.services.errors import Conflict, InvalidInput

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


@dataclass(frozen=True)
class BackupFile:
    path: Path
    kind: str  # sqlite | postgresql
    size: int


def _kind(database_url: str) -> str:
    if database_url.startswith("sqlite"):
        return "sqlite"
    if database_url.startswith("postgresql"):
        return "postgresql"
    raise InvalidInput(f"cannot back up {make_url(database_url).drivername} databases", {"DATABASE_URL": "unsupported"})


def _sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise InvalidInput("an in-memory SQLite database has nothing to back up", {"DATABASE_URL": "in memory"})
    return Path(database)


def default_name(database_url: str, now: dt.datetime | None = None) -> str:
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"coaching-{stamp}.{'db' if _kind(database_url) == 'sqlite' else 'dump'}"


def _private_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)


def _pg_arguments(database_url: str) -> tuple[list[str], dict[str, str]]:
    """libpq connection options and environment for a URL; the password goes in the environment."""
    url: URL = make_url(database_url)
    args = []
    if url.host:
        args.append(f"--host={url.host}")
    if url.port:
        args.append(f"--port={url.port}")
    if url.username:
        args.append(f"--username={url.username}")
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise Conflict(f"{name} is not installed: install the PostgreSQL client tools of the server's version")
    return found


def _major(text: str) -> int:
    match = re.search(r"(\d+)(?:\.\d+)?", text)
    if match is None:
        raise Conflict(f"cannot read a version from {text!r}")
    return int(match.group(1))


def server_major(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql("SHOW server_version_num").scalar_one()) // 10000
    finally:
        engine.dispose()


def check_client_version(tool: str, database_url: str) -> int:
    """The client's major version, or Conflict if it is older than the server (pg_dump refuses then)."""
    output = subprocess.run([_tool(tool), "--version"], capture_output=True, text=True, check=True).stdout
    client, server = _major(output.partition(")")[2] or output), server_major(database_url)
    if client < server:
        raise Conflict(f"{tool} {client} is older than the PostgreSQL {server} server: install {tool} {server}")
    return client


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup API: a consistent copy even while others write to `source`."""
    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    writer = sqlite3.connect(target)
    try:
        reader.backup(writer)
    finally:
        writer.close()
        reader.close()


def backup(database_url: str, target: Path) -> BackupFile:
    """Copy the database to `target` (a new file, owner-readable only)."""
    kind = _kind(database_url)
    target = target.resolve()
    partial = target.with_name(target.name + ".partial")
    _private_file(partial)
    try:
        if kind == "sqlite":
            source_path = _sqlite_path(database_url)
            if not source_path.exists():
                raise InvalidInput(f"{source_path}: no such database file", {"DATABASE_URL": "no such file"})
            _sqlite_copy(source_path, partial)
        else:
            check_client_version("pg_dump", database_url)
            args, env = _pg_arguments(database_url)
            database = make_url(database_url).database or ""
            done = subprocess.run(
                [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}", *args, "--", database],
                capture_output=True, text=True, env=env,
            )
            if done.returncode != 0:
                raise Conflict(f"pg_dump failed: {done.stderr.strip()}")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return BackupFile(target, kind, target.stat().st_size)


def _assert_empty(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        tables = inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise Conflict(
            f"the target database is not empty ({len(tables)} tables): restore into a new, empty database"
        )


def restore(database_url: str, source: Path) -> str:
    """Load a backup made by `backup` into an empty database; returns its kind."""
    kind = _kind(database_url)
    if not source.is_file():
        raise InvalidInput(f"{source}: no such file", {"backup": "no such file"})
    with source.open("rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    expected = SQLITE_MAGIC if kind == "sqlite" else PG_DUMP_MAGIC
    if not head.startswith(expected):
        other = "a SQLite" if kind == "sqlite" else "a pg_dump (custom format)"
        raise InvalidInput(f"{source}: not {other} backup, which a {kind} database needs", {"backup": "wrong kind"})
    if kind == "sqlite":
        target = _sqlite_path(database_url)
        if target.exists() and target.stat().st_size > 0:
            _assert_empty(database_url)
        target.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(source, target)
        return kind
    _assert_empty(database_url)
    check_client_version("pg_restore", database_url)
    args, env = _pg_arguments(database_url)
    database = make_url(database_url).database or ""
    done = subprocess.run(
        [_tool("pg_restore"), "--no-owner", "--exit-on-error", "--single-transaction", f"--dbname={database}",
         *args, str(source)],
        capture_output=True, text=True, env=env,
    )
    if done.returncode != 0:
        raise Conflict(f"pg_restore failed (nothing was restored): {done.stderr.strip()}")
    return kind
