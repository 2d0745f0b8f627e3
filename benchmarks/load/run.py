"""Run the load scenario in the production shape and report errors and p95 per page.

    python benchmarks/load/run.py [--users 200] [--seconds 60] [--baseline main]

For each code tree (the baseline ref first, checked out in a temporary git worktree,
then this tree) it creates a fresh PostgreSQL database on 127.0.0.1, loads the demo
programme and solves it, starts a Celery worker on Redis (127.0.0.1:6379) and gunicorn
on 127.0.0.1, and runs `locustfile.py` headless with a bounded number of users: they arrive
over the first 10 s (each one's first page, coaches and the supervisor signing in), then all
of them stay for the measured, bounded time; each phase is reported on its own. Last, it
times "Approve all" of the demo draft as the supervisor. Both trees run in
the same session on the same machine, so their figures can be set side by side; the
report goes to standard output and to artifacts/load/. Nothing here is run by the tests.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
import psycopg
import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
PYTHON = sys.executable
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"nothing answered on 127.0.0.1:{port}")


@contextmanager
def _database(name: str) -> Iterator[str]:
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def _process(argv: list[str], env: dict[str, str], cwd: Path, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield proc
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _coaching(env: dict[str, str], cwd: Path, *args: str) -> str:
    done = subprocess.run(
        [PYTHON, "-m", "scheduler.cli", *args], env=env, cwd=cwd, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise SystemExit(f"coaching {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _signed_in(base: str, email: str, password: str) -> requests.Session:
    web = requests.Session()
    page = web.get(f"{base}/login", timeout=30)
    web.post(
        f"{base}/login", {"csrf_token": CSRF.findall(page.text)[0], "email": email, "password": password}, timeout=30
    )
    return web


# Every page the scenario reads, by who reads it (None: anyone).
PAGES: dict[str | None, tuple[str, ...]] = {
    None: ("/request", "/login"),
    "coachs": ("/coach/", "/coach/availability", "/coach/profile"),
    "supervisors": (
        "/supervisor/", "/supervisor/draft", "/supervisor/load", "/supervisor/calendar",
        "/supervisor/supervision", "/supervisor/coaches",
    ),
}  # fmt: skip


def _warm_up(base: str, fixtures: dict[str, Any]) -> None:
    """Each gunicorn worker answers every page of the scenario before the minute starts: its
    first answer of a page compiles the template and the SQL, and a server in use has long
    done that. A new connection each time ("Connection: close") lets every worker take some."""
    people = {None: requests.Session()}
    for role in ("coachs", "supervisors"):
        people[role] = _signed_in(base, fixtures[role][0], fixtures["password"])
    pages = [(None, f"/r/{token}") for token in fixtures["status_tokens"][:4]]
    pages += [(role, path) for role, paths in PAGES.items() for path in paths]
    for _ in range(12):
        for role, path in pages:
            people[role].get(f"{base}{path}", headers={"Connection": "close"}, timeout=60).raise_for_status()


def _approve_all(base: str, email: str, password: str) -> dict[str, Any]:
    """Sign in as the supervisor and time one 'Approve all' of the draft."""
    web = _signed_in(base, email, password)
    draft = web.get(f"{base}/supervisor/draft", timeout=60)
    token = CSRF.findall(draft.text)[0]
    drafts = draft.text.count('name="engagement_ids"')
    started = time.perf_counter()
    answer = web.post(
        f"{base}/supervisor/draft/approve", {"csrf_token": token, "all": "1"}, timeout=120, allow_redirects=False
    )
    seconds = time.perf_counter() - started
    return {"status": answer.status_code, "seconds": round(seconds, 3), "engagements_in_draft": drafts}


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)] if ordered else float("nan")


def _stats(timings: Path, arrived: float) -> dict[str, list[dict[str, Any]]]:
    """Per page and phase, from every answer's time: requests, failures and p95. "arriving" is
    the first seconds, while people come in (each one's first page, every coach and the
    supervisor signing in); "everyone there" is the measured minute after it."""
    answers: dict[str, dict[str, list[tuple[float, bool]]]] = {"arriving": {}, "everyone there": {}}
    with open(timings, encoding="utf-8") as handle:
        for line in handle:
            at, name, milliseconds, failed = line.rstrip("\n").split("\t")
            phase = answers["arriving" if float(at) < arrived else "everyone there"]
            for key in (name, "all pages"):
                phase.setdefault(key, []).append((float(milliseconds), failed == "1"))
    return {
        phase: [
            {
                "name": name,
                "requests": len(times),
                "failures": sum(failed for _, failed in times),
                "p95_ms": _p95([ms for ms, _ in times]),
            }
            for name, times in sorted(pages.items(), key=lambda item: (item[0] == "all pages", item[0]))
        ]
        for phase, pages in answers.items()
    }


def _cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:  # a backend or a child that ended: its seconds are gone with it
            continue
        total += times.user + times.system
    return total


def _with_children(pid: int) -> list[psutil.Process]:
    parent = psutil.Process(pid)
    return [parent, *parent.children(recursive=True)]


def _named(name: str) -> list[psutil.Process]:
    return [p for p in psutil.process_iter(["name"]) if p.info["name"] == name]


def _cpu_snapshot(server: int, worker: int) -> dict[str, float]:
    """CPU seconds so far of each part of the production shape, and of the whole machine."""
    machine = psutil.cpu_times()
    return {
        "app (gunicorn)": _cpu_seconds(_with_children(server)),
        "Celery worker": _cpu_seconds(_with_children(worker)),
        "PostgreSQL": _cpu_seconds(_named("postgres")),
        "Redis": _cpu_seconds(_named("redis-server")),
        "machine": machine.user + machine.system + machine.nice + machine.irq + machine.softirq,
    }


def _run_locust(argv: list[str], env: dict[str, str], cwd: Path, log: Path) -> float:
    """Run the load generator to its end; the CPU seconds it took (from the kernel's account of it)."""
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped above: Popen must not wait again
    return usage.ru_utime + usage.ru_stime


def _arrival_seconds(users: int) -> int:
    """People arrive over the first 10 s (at most 20 a second); the measured time starts after."""
    return max(10, math.ceil(users / 20))


def run_tree(label: str, code: Path, users: int, seconds: int, pace: str, out: Path) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    arrival = _arrival_seconds(users)
    password = secrets.token_urlsafe(12)
    port = _free_port()
    with (
        tempfile.TemporaryDirectory(prefix=f"load-{label}-") as scratch,
        _database(f"load_{label}_{os.getpid()}") as url,
    ):
        env = {
            **os.environ,
            "PYTHONPATH": str(code),
            "APP_ENV": "development",  # production marks cookies Secure, which plain http on 127.0.0.1 never returns
            "DATABASE_URL": url,
            "CELERY_BROKER_URL": "redis://127.0.0.1:6379/13",
            "MAIL_BACKEND": "file",
            "MAIL_DIR": f"{scratch}/mail",
            "VAR_DIR": scratch,
            "SECRET_KEY": secrets.token_hex(32),
            "BASE_URL": f"http://127.0.0.1:{port}",
            # As in production behind one reverse proxy: the client is named in X-Forwarded-For,
            # and the rate limits' counts are shared by every gunicorn worker in Redis.
            "PROXY_HOPS": "1",
            "RATE_LIMIT_STORAGE_URL": "redis://127.0.0.1:6379/12",
        }
        _coaching(env, code, "init-db")
        _coaching(env, code, "demo", "--password", password)
        print(f"[{label}] {_coaching(env, code, 'solve', '--time-limit', '10').splitlines()[0]}", flush=True)
        fixtures = Path(scratch) / "fixtures.json"
        subprocess.run([PYTHON, str(HERE / "prepare.py"), url, password, str(fixtures)], env=env, cwd=code, check=True)
        worker = [PYTHON, "-m", "scheduler.cli", "worker", "--no-beat"]
        # As docker-compose serves it (the tree's own gunicorn settings, where it has them).
        settings = (
            ["--config", "config/gunicorn.py"] if (code / "config" / "gunicorn.py").exists() else ["--workers", "3"]
        )
        server = [PYTHON, "-m", "gunicorn", *settings, "--bind", f"127.0.0.1:{port}", "web.wsgi:app"]
        with (
            _process(worker, env, code, out / f"{label}-worker.log") as worker_proc,
            _process(server, env, code, out / f"{label}-gunicorn.log") as server_proc,
        ):
            _wait_for(port)
            _warm_up(f"http://127.0.0.1:{port}", json.loads(fixtures.read_text()))
            prefix, timings = out / label, out / f"{label}_timings.tsv"
            locust = [
                PYTHON, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless",
                "-u", str(users), "-r", f"{users / arrival:g}", "-t", f"{arrival + seconds}s",
                "--host", f"http://127.0.0.1:{port}", "--csv", str(prefix), "--only-summary",
            ]  # fmt: skip
            before = _cpu_snapshot(server_proc.pid, worker_proc.pid)
            started = time.monotonic()
            generator = _run_locust(
                locust,
                {**env, "LOAD_FIXTURES": str(fixtures), "LOAD_PACE": pace, "LOAD_TIMINGS": str(timings)},
                code,
                out / f"{label}-locust.log",
            )
            elapsed = time.monotonic() - started
            after = _cpu_snapshot(server_proc.pid, worker_proc.pid)
            cpu = {part: round(after[part] - before[part], 1) for part in before}
            cpu["load generator (locust)"] = round(generator, 1)
            cpu["machine busy, % of all cores"] = round(100 * cpu.pop("machine") / (elapsed * psutil.cpu_count()), 0)
            supervisor = json.loads(fixtures.read_text())["supervisors"][0]
            approve = _approve_all(f"http://127.0.0.1:{port}", supervisor, password)
    result = {
        "label": label, "users": users, "seconds": seconds, "pace": pace,
        "arrival": arrival,
        "pages": _stats(timings, arrival), "approve_all": approve, "cpu_seconds": cpu,
    }  # fmt: skip
    (out / f"{label}.json").write_text(json.dumps(result, indent=2))
    return result


def report(results: list[dict[str, Any]]) -> str:
    labels = [r["label"] for r in results]
    lines = []
    for phase, heading in (
        ("everyone there", "the measured {seconds} s with all {users} people there"),
        ("arriving", "the first {arrival:.0f} s, while they arrive and sign in"),
    ):
        first = results[-1]
        lines += [f"Pages, {heading.format(**first)}:", ""]
        lines += ["| page | " + " | ".join(f"{label}: requests / errors / p95 ms" for label in labels) + " |"]
        lines += ["|---|" + "---|" * len(labels)]
        by = [{p["name"]: p for p in r["pages"][phase]} for r in results]
        for name in [p["name"] for p in first["pages"][phase]]:
            cells = [
                "—"
                if (page := table.get(name)) is None
                else f"{page['requests']} / {page['failures']} / {page['p95_ms']:.0f}"
                for table in by
            ]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
    approve = " | ".join(
        f"{r['approve_all']['seconds']:.2f} s (HTTP {r['approve_all']['status']}, {r['approve_all']['engagements_in_draft']} in the draft)"
        for r in results
    )
    lines += ["| after the load | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
    lines.append(f"| supervisor: Approve all (one request) | {approve} |")
    lines += ["", "| CPU seconds during the load | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
    for part in results[-1]["cpu_seconds"]:
        lines.append(f"| {part} | " + " | ".join(str(r["cpu_seconds"].get(part, "—")) for r in results) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=200, choices=range(1, 301), metavar="1..300")
    parser.add_argument("--seconds", type=int, default=60, choices=range(5, 301), metavar="5..300")
    parser.add_argument("--baseline", help="a git ref to measure first, beside this tree (e.g. main)")
    parser.add_argument(
        "--pace", choices=("people", "stress"), default="people",
        help="people: 5-15 s on a page, 20-60 s to fill in the form; stress: 1-3 s, forms sent at once",
    )  # fmt: skip
    args = parser.parse_args()
    out = ROOT / "artifacts" / "load"
    results = []
    if args.baseline:
        with tempfile.TemporaryDirectory(prefix="load-baseline-") as tree:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", tree, args.baseline], check=True)
            try:
                results.append(run_tree("baseline", Path(tree), args.users, args.seconds, args.pace, out))
            finally:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", tree], check=False)
    results.append(run_tree("this", ROOT, args.users, args.seconds, args.pace, out))
    table = report(results)
    (out / "report.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
