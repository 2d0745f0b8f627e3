"""Mail delivery that outlives an outage: a real SMTP server (aiosmtpd) goes away and comes back.

Shortened settings stand for the real ones: the old design (8 attempts, waits doubling from
the base) gave up after 127 base waits; here the server stays down for longer than that.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from aiosmtpd.controller import Controller

from scheduler.db import Database
from scheduler.invites.backends import SmtpBackend
from scheduler.models import utcnow
from scheduler.services.messaging import delivery
from scheduler.unit_of_work import take_after_commit, track
from tests.scheduler.conftest import (
    RecordingHandler,
    Sessions,
    free_port,
    make_settings,
    outbox_rows,
    unreachable_smtp_settings,
)

BASE = 0.02  # seconds: the old budget was 127 * BASE = 2.5 s


def _health(database: Database) -> delivery.OutboxHealth:
    with database.sessions() as db:
        return delivery.outbox_health(db)


def test_an_outage_longer_than_the_old_retry_budget_delivers_every_invitation_once(
    sqlite_db: Database, tmp_path: Path, sessions: Sessions
) -> None:
    handler = RecordingHandler()
    port = free_port()
    settings = make_settings(
        tmp_path, sqlite_db.url, mail_backend="smtp", smtp_host="127.0.0.1", smtp_port=port, smtp_timeout=2.0,
        outbox_retry_base_seconds=BASE, outbox_retry_max_seconds=0.2, outbox_probe_seconds=0.3, outbox_batch_size=4,
    )
    sessions.queue(sqlite_db, 6)  # 12 invitations

    def worker_and_sweeper() -> None:
        """What the worker and beat do, in one loop: deliver what is due, sweep, probe."""
        delivery.deliver_batch(sqlite_db, settings, [])
        delivery.sweep_outbox(sqlite_db, settings, dispatch=lambda ids: [
            delivery.deliver_batch(sqlite_db, settings, [i]) for i in ids])

    down_for = 4.0  # > 127 * BASE
    started = time.monotonic()
    while time.monotonic() - started < down_for:
        worker_and_sweeper()
        time.sleep(0.05)
    rows = outbox_rows(sqlite_db)
    health = _health(sqlite_db)
    assert {r.status for r in rows} == {"pending"}, "an unreachable server fails nothing"
    assert health.paused_since is not None and health.pending == 12 and health.failed == 0
    assert health.oldest_pending_seconds is not None and health.oldest_pending_seconds >= down_for - 0.5
    # While paused nothing is claimed: no message spent an attempt after the first refusal.
    assert max(r.attempts for r in rows) <= 1

    controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    try:
        back = time.monotonic()
        while _health(sqlite_db).pending and time.monotonic() - back < 10:
            worker_and_sweeper()
            time.sleep(0.05)
        resumed_in = time.monotonic() - back
    finally:
        controller.stop()
    rows = outbox_rows(sqlite_db)
    assert {r.status for r in rows} == {"sent"}, [(r.status, r.last_error) for r in rows]
    assert len(handler.received) == 12
    assert len({r.message["Message-ID"] for r in handler.received}) == 12, "each invitation once"
    assert _health(sqlite_db).paused_since is None
    print(f"\nall 12 delivered {resumed_in:.1f}s after the server returned (probe every 0.3 s)")


def test_a_paused_outbox_asks_the_server_with_one_probe_per_interval(
    sqlite_db: Database, tmp_path: Path, sessions: Sessions
) -> None:
    settings = unreachable_smtp_settings(tmp_path, sqlite_db.url, smtp_timeout=1.0, outbox_probe_seconds=60)
    sessions.queue(sqlite_db, 3)
    first = delivery.deliver_batch(sqlite_db, settings, [])
    assert {r.outcome for r in first} == {delivery.Outcome.PAUSED} and len(first) == 6
    backend = SmtpBackend("127.0.0.1", settings.smtp_port, timeout=1.0)
    # Within the probe interval nobody connects, however many workers ask.
    for _ in range(5):
        results = delivery.deliver_batch(sqlite_db, settings, [r.id for r in outbox_rows(sqlite_db)], backend=backend)
        assert {r.outcome for r in results} == {delivery.Outcome.NOT_DUE}
    assert backend.connections == 0
    # Once it is due, one caller probes (and finds the server still away).
    later = utcnow() + dt.timedelta(seconds=61)
    assert delivery.probe_if_paused(sqlite_db, settings, now=later) is False
    assert delivery.probe_if_paused(sqlite_db, settings, now=later) is False  # the next probe is a minute on
    assert {r.status for r in outbox_rows(sqlite_db)} == {"pending"}


def test_a_550_for_one_recipient_fails_that_message_alone_in_one_connection(
    sqlite_db: Database, tmp_path: Path, sessions: Sessions
) -> None:
    handler = RecordingHandler()
    handler.on_rcpt = lambda address: "550 5.1.1 mailbox unavailable" if address == "coachee2@members.example" else None
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    try:
        settings = make_settings(tmp_path, sqlite_db.url, mail_backend="smtp", smtp_port=port, smtp_timeout=5.0)
        sessions.queue(sqlite_db, 3)
        backend = SmtpBackend("127.0.0.1", port, timeout=5.0)
        results = delivery.deliver_batch(sqlite_db, settings, [], backend=backend)
        backend.close()
    finally:
        controller.stop()
    assert sorted(r.outcome for r in results) == sorted([delivery.Outcome.SENT] * 5 + [delivery.Outcome.FAILED])
    assert backend.connections == 1, "one connection for the whole batch, kept after the refusal"
    failed = [r for r in outbox_rows(sqlite_db) if r.status == "failed"]
    assert [f.recipient for f in failed] == ["coachee2@members.example"]
    assert "550" in (failed[0].last_error or "") and "@" not in (failed[0].last_error or "")
    assert len(handler.received) == 5
    with sqlite_db.sessions() as db:
        assert delivery.outbox_health(db).failed == 1


def test_a_4xx_never_fails_a_message_while_its_session_is_ahead_and_fails_it_once_begun(
    sqlite_db: Database, tmp_path: Path, sessions: Sessions
) -> None:
    handler = RecordingHandler()
    handler.on_rcpt = lambda address: "451 4.3.0 try again later"
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    try:
        settings = make_settings(tmp_path, sqlite_db.url, mail_backend="smtp", smtp_port=port, smtp_timeout=5.0,
                                 outbox_retry_base_seconds=30, outbox_retry_max_seconds=600)
        sessions.queue(sqlite_db, 1, start=utcnow() + dt.timedelta(hours=12))
        now = utcnow()
        for _ in range(12):  # more than the 8 attempts that used to be the end
            results = delivery.deliver_batch(sqlite_db, settings, [], now=now, fill=True)
            assert {r.outcome for r in results} == {delivery.Outcome.RETRY}
            waits = [r.retry_in or 0 for r in results]
            assert all(0 < w <= 600 for w in waits), "capped"
            now += dt.timedelta(seconds=601)
        rows = outbox_rows(sqlite_db)
        assert {r.status for r in rows} == {"pending"} and {r.attempts for r in rows} == {12}
        # Jitter: the two recipients' waits after the same attempt differ.
        policy = delivery.DeliveryPolicy.from_settings(settings)
        assert len({policy.backoff(3, r.dedupe_key) for r in rows}) == 2
        assert all(60 <= policy.backoff(3, r.dedupe_key) <= 120 for r in rows)
        # Once the session has begun the invitation can no longer help: failed, with the reason.
        after_start = utcnow() + dt.timedelta(hours=13)
        results = delivery.deliver_batch(sqlite_db, settings, [], now=after_start)
        assert {r.outcome for r in results} == {delivery.Outcome.FAILED}
        assert {r.last_error for r in outbox_rows(sqlite_db)} == {"not delivered before the session began"}
    finally:
        controller.stop()


def test_the_supervisors_retry_sends_a_failed_message_again(
    sqlite_db: Database, tmp_path: Path, sessions: Sessions, smtp_server: object
) -> None:
    from tests.scheduler.conftest import SmtpServer

    assert isinstance(smtp_server, SmtpServer)
    refuse = {"on": True}
    smtp_server.handler.on_rcpt = lambda address: "550 5.7.1 refused" if refuse["on"] else None
    settings = make_settings(tmp_path, sqlite_db.url, mail_backend="smtp", smtp_port=smtp_server.port,
                             smtp_timeout=5.0)
    sessions.queue(sqlite_db, 1)
    delivery.deliver_batch(sqlite_db, settings, [])
    assert {r.status for r in outbox_rows(sqlite_db)} == {"failed"}
    refuse["on"] = False
    with track(sqlite_db.sessions()) as db, db.begin():
        first = outbox_rows(sqlite_db)[0].id
        assert delivery.retry_failed(db, first) is not None
        assert delivery.retry_failed(db, first) is None, "only a failed message can be retried"
        handed = take_after_commit(db).outbox_ids
    assert handed == (first,)
    assert delivery.deliver_message(sqlite_db, settings, first).outcome == delivery.Outcome.SENT
    assert [r.status for r in outbox_rows(sqlite_db)] == ["sent", "failed"]
    assert len(smtp_server.received) == 1
