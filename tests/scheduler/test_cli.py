"""The `coaching` command as a person runs it: exit 0 on success, exit 2 and a clear line on bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


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
    assert "no programme yet: run `coaching demo`" in result.stderr
