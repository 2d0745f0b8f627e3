"""The `coaching` command as a person runs it: exit 0 on success, exit 2 and a clear line on bad input."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from kombu.asynchronous import set_event_loop
from sqlalchemy import select

from scheduler.celery_app import make_celery
from scheduler.db import Database
from scheduler.models import OutboxMessage, Programme, SolveRun, SolveRunStatus
from tests.scheduler.conftest import make_settings


def coaching(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'coaching.db'}",
        "MAIL_DIR": str(tmp_path / "mail"),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli", *args], capture_output=True, text=True, env=environment, timeout=120
    )


@pytest.fixture
def ready(tmp_path: Path) -> Path:
    assert coaching(tmp_path, "init-db").returncode == 0
    result = coaching(tmp_path, "demo", "--password", "demo-password-1")
    assert result.returncode == 0, result.stderr
    assert "supervisor sign-in: supervisor@programme.example / demo-password-1" in result.stdout
    return tmp_path


def test_import_with_a_bad_row_exits_2_naming_row_and_column(ready: Path) -> None:
    csv_file = ready / "coaches.csv"
    csv_file.write_text(
        "name,email,timezone,languages\n"
        "Ada,ada@coaches.example,Europe/Brussels,en\n"
        "Bob,bob-at-nowhere,Europe/London,en\n"
    )
    result = coaching(ready, "import", "coaches", str(csv_file))
    assert result.returncode == 2
    assert "row 3, column email: must be an e-mail address" in result.stderr
    assert "Traceback" not in result.stderr
    exported = coaching(ready, "export", "coaches")
    assert "ada@coaches.example" not in exported.stdout  # nothing was imported


def test_import_then_export_coaches(ready: Path) -> None:
    csv_file = ready / "coaches.csv"
    csv_file.write_text("name,email,timezone,languages,availability\nAda,ada@coaches.example,Europe/Brussels,en,tue 18:00-20:00\n")
    result = coaching(ready, "import", "coaches", str(csv_file))
    assert result.returncode == 0, result.stderr
    assert "imported 1 coaches" in result.stdout
    out = ready / "out.csv"
    assert coaching(ready, "export", "coaches", "-o", str(out)).returncode == 0
    assert "Ada,ada@coaches.example,Europe/Brussels,en,,accredited,,,3,4,2,15,tue 18:00-20:00" in out.read_text()


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (("approve",), {}, "give engagement ids or --all"),
        (("approve", "999"), {}, "engagement 999 is not a draft"),
        (("solve", "--time-limit", "-1"), {}, "--time-limit"),
        (("solve", "--timezone", "Mars/Olympus"), {}, "--timezone"),
        (("import", "teams", "x.csv"), {}, "'teams' is not one of"),
        (("demo",), {}, "a programme exists already"),
        (("export", "coaches"), {"MAIL_BACKEND": "pigeon"}, "MAIL_BACKEND: must be 'file' or 'smtp'"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(ready: Path, args: tuple[str, ...], env: dict[str, str], message: str) -> None:
    result = coaching(ready, *args, **env)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_commands_before_a_programme_exists_say_what_to_do(tmp_path: Path) -> None:
    assert coaching(tmp_path, "init-db").returncode == 0
    result = coaching(tmp_path, "solve")
    assert result.returncode == 2
    assert "No coaching programme is set up yet (run `coaching demo`" in result.stderr


def _database(folder: Path) -> Database:
    return Database(f"sqlite:///{folder / 'coaching.db'}")


def test_a_second_solve_is_refused_naming_the_run_in_progress_and_allowed_once_it_ends(ready: Path) -> None:
    database = _database(ready)
    with database.sessions() as db, db.begin():
        running = SolveRun(programme_id=db.scalars(select(Programme.id)).first(), status=SolveRunStatus.RUNNING)
        db.add(running)
        db.flush()
        run_id = running.id
    refused = coaching(ready, "solve", "--time-limit", "1")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert f"solve run {run_id} is already running" in refused.stderr
    with database.sessions() as db, db.begin():
        db.get_one(SolveRun, run_id).status = SolveRunStatus.DONE
    database.dispose()
    allowed = coaching(ready, "solve", "--time-limit", "1")
    assert allowed.returncode == 0, allowed.stderr
    assert f"solve run {run_id + 1}: " in allowed.stdout


@pytest.mark.timeout(180)
def test_approve_all_hands_the_invitations_to_a_running_worker(ready: Path) -> None:
    """Like the web, `coaching approve --all` queues its invitations for the worker after commit."""
    assert coaching(ready, "solve", "--time-limit", "2").returncode == 0
    database = _database(ready)
    settings = make_settings(ready, database.url, celery_broker_url=f"sqla+sqlite:///{ready / 'var' / 'broker.db'}")
    set_event_loop(None)  # a loop left by an earlier in-process worker would never fire this one's timers
    app = make_celery(settings, name=f"cli-{uuid.uuid4().hex[:6]}")

    def statuses() -> Counter[str]:
        with database.sessions() as db:
            return Counter(db.scalars(select(OutboxMessage.status)))

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        result = coaching(ready, "approve", "--all")
        assert result.returncode == 0, result.stderr
        queued = sum(statuses().values())
        assert queued > 0
        deadline = time.monotonic() + 60
        while statuses()["sent"] < queued and time.monotonic() < deadline:
            time.sleep(0.2)
    assert statuses() == {"sent": queued}, "every invitation went out through the worker, no send-invites needed"
    assert len(list((ready / "mail").glob("*.eml"))) == queued
    database.dispose()


def test_solve_tells_the_reasons_times_in_the_programmes_zone_or_the_one_asked_for(ready: Path) -> None:
    at_home = coaching(ready, "solve", "--time-limit", "2")
    assert at_home.returncode == 0, at_home.stderr
    with _database(ready).sessions() as db:
        zone = db.scalars(select(Programme.timezone)).one()
    assert f"{zone} time" in at_home.stdout
    in_tokyo = coaching(ready, "solve", "--time-limit", "2", "--timezone", "Asia/Tokyo")
    assert in_tokyo.returncode == 0, in_tokyo.stderr
    assert "Asia/Tokyo time" in in_tokyo.stdout and f"{zone} time" not in in_tokyo.stdout
