"""Approving the demo draft: time until the mail server has accepted the last invitation, and
SMTP connections opened, for two code trees side by side in one run.

    python benchmarks/mail_delivery.py                     # this tree against `main~N` given by --before
    python benchmarks/mail_delivery.py --before c710d4a --latency 0.02

For each tree: a fresh SQLite programme (`coaching init-db`, `demo`, `solve`), a real
Celery worker of that tree (solo pool, the embedded SQLite broker) sending to one aiosmtpd
server run here, then the approval as the web edge does it (approve every draft, commit,
hand the new outbox rows to the worker) and the clock runs until the server has accepted
every invitation. The server can add a delay to each SMTP reply (`--latency`, seconds) to
stand for a relay across a network (a connection costs its greeting, EHLO and QUIT, each a
round trip). Both trees meet the same server, settings and demo data, one after the other.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

ROOT = Path(__file__).resolve().parents[1]

# Runs inside the tree being measured: approve as the web edge does, print the ids' count.
APPROVE = textwrap.dedent("""
    import sys, time
    from sqlalchemy import select
    from config.settings import load_config
    from scheduler.db import Database
    from scheduler.models import Programme
    try:
        from scheduler.services.planning.approval import approve
    except ImportError:
        from scheduler.services.approval import approve
    from scheduler.tasks import dispatch_deliveries
    from scheduler.unit_of_work import take_after_commit, track
    settings = load_config()
    database = Database(settings.database_url)
    with track(database.sessions()) as db, db.begin():
        approve(db, db.scalars(select(Programme)).first())
        ids = take_after_commit(db).outbox_ids
        started = time.time()
    dispatch_deliveries(settings, ids)
    print(len(ids), started)
""")


class Counting:
    """Accepts everything; counts connections and messages, notes when the last arrived."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.peers: set[tuple[str, int]] = set()
        self.messages = 0
        self.last = 0.0
        self.lock = threading.Lock()

    async def _wait(self) -> None:
        if self.latency:
            await asyncio.sleep(self.latency)

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]) -> list[str]:
        await self._wait()
        with self.lock:
            self.peers.add(session.peer)
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        await self._wait()
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        await self._wait()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await self._wait()
        with self.lock:
            self.messages += 1
            self.last = time.time()
        return "250 Message accepted for delivery"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        await self._wait()
        return "221 Bye"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def measure(tree: Path, label: str, latency: float, work: Path) -> dict[str, Any]:
    handler = Counting(latency)
    port = _free_port()

    class _Controller(Controller):
        def factory(self) -> SMTP:
            return SMTP(self.handler, hostname="bench.example", ident="bench")

    controller = _Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    folder = work / label
    folder.mkdir(parents=True)
    python = str(tree / ".venv" / "bin" / "python") if (tree / ".venv" / "bin" / "python").exists() else sys.executable
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "SMTP_", "MAIL_", "OUTBOX_"))}
    env.update(
        APP_ENV="development", PYTHONPATH=str(tree), VAR_DIR=str(folder / "var"),
        DATABASE_URL=f"sqlite:///{folder / 'coaching.db'}", CELERY_BROKER_URL=f"sqla+sqlite:///{folder / 'broker.db'}",
        MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(port), SECRET_KEY="benchmark-secret",
        SOLVER_TIME_LIMIT="5",
    )

    def run(*args: str) -> str:
        done = subprocess.run([python, *args], cwd=tree, env=env, capture_output=True, text=True, timeout=600,
                              check=False)
        if done.returncode != 0:
            raise SystemExit(f"{label}: {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    run("-m", "scheduler.cli", "init-db")
    run("-m", "scheduler.cli", "demo", "--password", "benchmark-password-1")
    run("-m", "scheduler.cli", "solve")
    # The demo's coachees were sent their private links on submission: out of the way first.
    run("-m", "scheduler.cli", "send-invites")
    with handler.lock:
        handler.messages = 0
        handler.peers.clear()
    log = (folder / "worker.log").open("wb")
    worker = subprocess.Popen(
        [python, "-m", "celery", "-A", "scheduler.celery_app", "worker", "--pool=solo", "--concurrency=1",
         "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=tree, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        time.sleep(3)  # the worker is up and polling its queue
        count_text, started_text = run("-c", APPROVE).split()
        expected, started = int(count_text), float(started_text)
        deadline = time.time() + 900
        while handler.messages < expected and time.time() < deadline and worker.poll() is None:
            time.sleep(0.05)
        finished = handler.last
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        controller.stop()
    return {
        "tree": label,
        "invitations": expected,
        "accepted": handler.messages,
        "connections": len(handler.peers),
        "seconds": round(finished - started, 2) if handler.messages >= expected else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default="main", help="git commit of the baseline tree (default: main)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each SMTP reply")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mail-bench-") as scratch:
        work = Path(scratch)
        baseline = work / "baseline"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(baseline), args.before],
                       check=True, capture_output=True)
        try:
            results = [measure(baseline, f"before ({args.before})", args.latency, work),
                       measure(ROOT, "after (this tree)", args.latency, work)]
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(baseline)], check=False,
                           capture_output=True)
    print(f"SMTP reply latency {args.latency * 1000:.0f} ms")
    print(f"{'tree':28} {'invitations':>11} {'accepted':>8} {'connections':>11} {'seconds':>8}")
    for r in results:
        print(f"{r['tree']:28} {r['invitations']:>11} {r['accepted']:>8} {r['connections']:>11} {r['seconds']!s:>8}")


if __name__ == "__main__":
    main()
