"""The deployment description stays true: valid Compose, and it names what it runs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from config.settings import Settings

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
    config = services["web"]["command"][services["web"]["command"].index("--config") + 1]
    assert (ROOT / config).exists()
    wsgi_module, _, _attribute = services["web"]["command"][-1].partition(":")
    assert (ROOT / (wsgi_module.replace(".", "/") + ".py")).exists()
    assert services["worker"]["command"][:3] == ["celery", "-A", "scheduler.celery_app"]
    # Messages and solves on separate queues, each with its own worker (the settings' defaults).
    settings = Settings()
    assert services["worker"]["command"][-1] == f"--queues={settings.celery_queue}"
    assert services["solver"]["command"][:4] == ["celery", "-A", "scheduler.celery_app", "worker"]
    assert services["solver"]["command"][-1] == f"--queues={settings.solve_queue}"
    assert services["beat"]["command"][3] == "beat"
    assert services["web"]["environment"]["DATABASE_URL"].startswith("postgresql://")
    assert services["worker"]["environment"]["CELERY_BROKER_URL"].startswith("redis://")


def _lock_check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(root / "tools" / "dependency_lock.py"), "check"],
                          capture_output=True, text=True, timeout=60)


def test_the_lock_files_match_pyproject_and_a_new_dependency_without_make_lock_is_refused(tmp_path: Path) -> None:
    assert _lock_check(ROOT).returncode == 0, "run `make lock`"
    for name in ("pyproject.toml", "requirements.lock", "requirements-dev.lock", "tools/dependency_lock.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('dependencies = [\n', 'dependencies = [\n    "six==1.17.0",\n', 1))
    refused = _lock_check(tmp_path)
    assert refused.returncode == 1 and "make lock" in refused.stderr


def test_gunicorn_serves_the_app_with_the_deployment_settings(tmp_path: Path) -> None:
    """The settings compose gives gunicorn start real workers that answer: threads and all."""
    import socket
    import time
    import urllib.error
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        "PATH": str(Path(sys.executable).parent),
        "APP_ENV": "testing",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "VAR_DIR": str(tmp_path),
        "SECRET_KEY": "x" * 40,
        "CELERY_BROKER_URL": f"sqla+sqlite:///{tmp_path / 'broker.db'}",
        "WEB_CONCURRENCY": "2",
        "BIND": f"127.0.0.1:{port}",
    }
    subprocess.run([sys.executable, "-m", "scheduler.cli", "init-db"], env=env, cwd=ROOT, check=True, timeout=120,
                   capture_output=True)  # fmt: skip
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.py", "web.wsgi:app"],
                              env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        deadline, answer = time.monotonic() + 60, None
        while answer is None and time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as response:
                    answer = response.status, response.read()
            except urllib.error.HTTPError as refused:
                answer = refused.code, refused.read()
            except OSError:  # not listening yet
                time.sleep(0.3)
        assert answer is not None and answer[0] == 200, server.stdout.read() if server.poll() is not None else ""
        assert b"csrf_token" in answer[1]
    finally:
        server.terminate()
        log = server.communicate(timeout=30)[0].decode()
    assert "Using worker: gthread" in log and log.count("Booting worker") == 2, log


def test_gunicorn_workers_keep_the_loaded_app_out_of_full_garbage_collections() -> None:
    """Each worker freezes what loading the app made, so a full collection does not walk it
    in the middle of a request (the deployment settings' post_worker_init hook)."""
    import gc
    import runpy

    settings = runpy.run_path(str(ROOT / "config" / "gunicorn.py"))
    before = gc.get_freeze_count()
    try:
        settings["post_worker_init"](None)
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
