"""The deployment description stays true: valid Compose, and it names what it runs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_docker_compose_is_valid_against_the_compose_spec() -> None:
    exe = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    result = subprocess.run(
        [exe, "--builtin-schema", "vendor.compose-spec", str(ROOT / "docker-compose.yml")],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_postgres_redis_web_worker_and_beat_from_our_code() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    assert services["web"]["command"][0] == "gunicorn"
    wsgi_module, _, _attribute = services["web"]["command"][-1].partition(":")
    assert (ROOT / (wsgi_module.replace(".", "/") + ".py")).exists()
    assert services["worker"]["command"][:3] == ["celery", "-A", "scheduler.celery_app"]
    assert services["beat"]["command"][3] == "beat"
    assert services["web"]["environment"]["DATABASE_URL"].startswith("postgresql://")
    assert services["worker"]["environment"]["CELERY_BROKER_URL"].startswith("redis://")
