"""Delivering the outbox to a real SMTP server: shape, exactly once, retries, failures, reminders."""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from config.settings import Settings
from scheduler import tasks
from scheduler.db import Database
from scheduler.invites.backends import SmtpBackend
from scheduler.models import CoachingRequest, CoachingSession, OutboxMessage, SessionStatus, utcnow
from scheduler.services.accounts.tokens import REQUEST_STATUS, resolve_token
from scheduler.services.messaging import delivery, outbox
from scheduler.unit_of_work import AfterCommit, UnitOfWork
from tests.scheduler.conftest import (
    SOON,
    Sessions,
    SmtpServer,
    make_settings,
    outbox_rows,
    smtp_settings_for,
    unreachable_smtp_settings,
)
from tests.scheduler.invite_checks import assert_invitation_shape, calendar_bytes, only_event


def test_invites_reach_a_real_smtp_server_as_calendar_invitations(
    sqlite_db: Database, smtp_settings: Settings, smtp_server: SmtpServer, sessions: Sessions
) -> None:
    session_ids = sessions.queue(sqlite_db, 2)

    assert delivery.deliver_all_pending(sqlite_db, smtp_settings) == (4, 0)

    received = smtp_server.received
    assert len(received) == 4
    with sqlite_db.sessions() as db:
        uids = {db.get_one(CoachingSession, i).calendar_uid for i in session_ids}
        by_uid: dict[str, set[str]] = {}
        for item in received:
            message = item.message
            assert_invitation_shape(message, "REQUEST")
            _, event = only_event(message)
            assert int(event["SEQUENCE"]) == 0
            assert str(event["STATUS"]) == "CONFIRMED"
            by_uid.setdefault(str(event["UID"]), set()).update(item.recipients)
            # Nothing personal in the Message-ID or the UID.
            for personal in (*item.recipients, "Zoë", "Coach", "coachee"):
                assert personal not in message["Message-ID"]
                assert personal not in str(event["UID"])
            assert message["Message-ID"].endswith("@programme.example>")
            attendees = {str(a).removeprefix("mailto:"): a.params for a in event["ATTENDEE"]}
            assert set(attendees) == set(item.recipients) | (set(attendees) - set(item.recipients))
            assert len(attendees) == 2
            for params in attendees.values():
                # No inbound door in these settings: nobody is asked to answer in their calendar.
                assert (params["ROLE"], params["PARTSTAT"], params["RSVP"]) == ("REQ-PARTICIPANT", "NEEDS-ACTION", "FALSE")
            assert str(event["ORGANIZER"]) == "mailto:organiser@programme.example"
            assert "DTSTAMP" in event
            if item.recipients[0].startswith("coachee"):
                # The coachee's mail carries a working private status link; its calendar item does not.
                body = message.get_body(("plain",)).get_content()
                link = next(line for line in body.splitlines() if "/r/" in line)
                token = link.rsplit("/r/", 1)[1].strip()
                assert resolve_token(db, token, REQUEST_STATUS).request_id is not None
                assert token not in str(event["DESCRIPTION"]) and "/r/" not in str(event.get("URL"))
                assert "/request/link/" in str(event["URL"])
        assert set(by_uid) == uids
        assert all(len(recipients) == 2 for recipients in by_uid.values()), "one message per session and person"
    rows = outbox_rows(sqlite_db)
    assert {r.status for r in rows} == {"sent"}
    assert all(r.attempts == 1 and r.message_id and "token" not in r.payload for r in rows)


def test_reschedule_keeps_the_uid_with_a_higher_sequence_and_cancel_uses_method_cancel(
    sqlite_db: Database, smtp_settings: Settings, smtp_server: SmtpServer, sessions: Sessions
) -> None:
    (session_id,) = sessions.queue(sqlite_db, 1)
    delivery.deliver_all_pending(sqlite_db, smtp_settings)
    with sqlite_db.sessions() as db, db.begin():
        session = db.get_one(CoachingSession, session_id)
        uid = session.calendar_uid
        session.start_utc += dt.timedelta(hours=2)
        session.end_utc += dt.timedelta(hours=2)
        session.sequence += 1
        db.flush()
        outbox.enqueue_session_messages(db, session, outbox.REQUEST)
    assert delivery.deliver_all_pending(sqlite_db, smtp_settings) == (2, 0)
    with sqlite_db.sessions() as db, db.begin():
        session = db.get_one(CoachingSession, session_id)
        session.status = SessionStatus.CANCELLED.value
        session.sequence += 1
        db.flush()
        outbox.enqueue_session_messages(db, session, outbox.CANCEL)
    assert delivery.deliver_all_pending(sqlite_db, smtp_settings) == (2, 0)

    received = [r.message for r in smtp_server.received]
    assert len(received) == 6
    first, updated, cancelled = received[:2], received[2:4], received[4:]
    for message in updated:
        assert_invitation_shape(message, "REQUEST")
        _, event = only_event(message)
        assert (str(event["UID"]), int(event["SEQUENCE"])) == (uid, 1)
        assert event.decoded("DTSTART").astimezone(dt.UTC) == SOON + dt.timedelta(hours=2)
        assert message["Subject"].startswith("Updated:")
    for message in cancelled:
        assert_invitation_shape(message, "CANCEL")
        _, event = only_event(message)
        assert (str(event["UID"]), int(event["SEQUENCE"]), str(event["STATUS"])) == (uid, 2, "CANCELLED")
        assert message["Subject"].startswith("Cancelled:")
    assert len({m["Message-ID"] for m in first + updated + cancelled}) == 6


def test_racing_workers_send_each_message_exactly_once(
    database: Database, tmp_path: Path, smtp_server: SmtpServer, sessions: Sessions
) -> None:
    """Every message handed to four threads at once (a task delivered four times): each is sent once."""
    settings = smtp_settings_for(tmp_path, database.url, smtp_server)
    sessions.queue(database, 10)
    ids = [r.id for r in outbox_rows(database)]
    outcomes: list[delivery.Outcome] = []
    lock = threading.Lock()

    def worker(seed: int) -> None:
        order = ids[:]
        random.Random(seed).shuffle(order)
        for outbox_id in order:
            result = delivery.deliver_message(database, settings, outbox_id)
            with lock:
                outcomes.append(result.outcome)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    received = smtp_server.received
    assert len(received) == len(ids) == 20
    assert len({r.message["Message-ID"] for r in received}) == 20
    assert outcomes.count(delivery.Outcome.SENT) == 20
    assert {o for o in outcomes if o != delivery.Outcome.SENT} <= {delivery.Outcome.SKIPPED}
    assert all(r.status == "sent" and r.attempts == 1 for r in outbox_rows(database))


class _Crash(BaseException):
    """Stands for the process dying: not an Exception, so nothing catches it."""


class _CrashingBackend:
    def __init__(self, inner: SmtpBackend | None = None) -> None:
        self.inner = inner

    def send(self, message: bytes, *, sender: str, recipients: list[str], message_id: str) -> None:
        if self.inner is not None:
            self.inner.send(message, sender=sender, recipients=recipients, message_id=message_id)
        raise _Crash

    def close(self) -> None:
        if self.inner is not None:
            self.inner.close()


def test_a_worker_dying_before_the_server_accepts_loses_nothing_and_duplicates_nothing(
    sqlite_db: Database, smtp_settings: Settings, smtp_server: SmtpServer, sessions: Sessions
) -> None:
    sessions.queue(sqlite_db, 1)
    outbox_id = outbox_rows(sqlite_db)[0].id
    with pytest.raises(_Crash):
        delivery.deliver_message(sqlite_db, smtp_settings, outbox_id, backend=_CrashingBackend())
    (row,) = [r for r in outbox_rows(sqlite_db) if r.id == outbox_id]
    assert (row.status, row.attempts) == ("sending", 1)
    # While the claim is fresh nobody else sends it ...
    assert delivery.deliver_message(sqlite_db, smtp_settings, outbox_id).outcome == delivery.Outcome.SKIPPED
    assert delivery.deliverable_ids(sqlite_db, utcnow(), delivery.DeliveryPolicy.from_settings(smtp_settings)) == [
        r.id for r in outbox_rows(sqlite_db) if r.id != outbox_id
    ]
    # ... once the lease is over the sweeper finds it and it is sent, once.
    later = utcnow() + dt.timedelta(seconds=3)
    found = delivery.sweep_outbox(sqlite_db, smtp_settings, now=later, dispatch=lambda ids: None)
    assert outbox_id in found
    assert delivery.deliver_message(sqlite_db, smtp_settings, outbox_id, now=later).outcome == delivery.Outcome.SENT
    assert delivery.deliver_message(sqlite_db, smtp_settings, outbox_id).outcome == delivery.Outcome.SKIPPED
    assert len(smtp_server.received) == 1
    (row,) = [r for r in outbox_rows(sqlite_db) if r.id == outbox_id]
    assert (row.status, row.attempts) == ("sent", 2)


def test_a_crash_between_acceptance_and_commit_repeats_the_identical_message(
    sqlite_db: Database, smtp_settings: Settings, smtp_server: SmtpServer, sessions: Sessions
) -> None:
    """The one window SMTP cannot close (RFC 1047): the repeat is the same message, not a new event."""
    sessions.queue(sqlite_db, 1)
    outbox_id = outbox_rows(sqlite_db)[0].id
    backend = SmtpBackend(smtp_server.host, smtp_server.port, timeout=5)
    with pytest.raises(_Crash):
        delivery.deliver_message(sqlite_db, smtp_settings, outbox_id, backend=_CrashingBackend(backend))
    backend.close()
    later = utcnow() + dt.timedelta(seconds=3)
    assert delivery.deliver_message(sqlite_db, smtp_settings, outbox_id, now=later).outcome == delivery.Outcome.SENT
    first, second = (r.message for r in smtp_server.received)
    assert first["Message-ID"] == second["Message-ID"]
    assert calendar_bytes(first) == calendar_bytes(second), "same UID, SEQUENCE, DTSTAMP: one event, one revision"


def test_permanent_refusal_marks_failed_and_is_not_retried(
    sqlite_db: Database, smtp_settings: Settings, smtp_server: SmtpServer, sessions: Sessions
) -> None:
    smtp_server.handler.on_rcpt = lambda address: f"550 5.1.1 <{address}>: mailbox unavailable" if (
        address.startswith("coachee")) else None
    sessions.queue(sqlite_db, 1)
    assert delivery.deliver_all_pending(sqlite_db, smtp_settings) == (1, 1)
    rows = {r.recipient_role: r for r in outbox_rows(sqlite_db)}
    assert rows["coach"].status == "sent"
    failed = rows["coachee"]
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert "550" in (failed.last_error or "") and "@" not in (failed.last_error or "")
    assert "token" not in failed.payload
    assert delivery.deliver_message(sqlite_db, smtp_settings, failed.id).outcome == delivery.Outcome.SKIPPED
    assert delivery.deliver_all_pending(sqlite_db, smtp_settings) == (0, 0)


def test_transient_refusal_backs_off_then_succeeds(
    sqlite_db: Database, smtp_settings: Settings, smtp_server: SmtpServer, sessions: Sessions
) -> None:
    refusals = iter(["451 4.3.0 try again later"])
    smtp_server.handler.on_rcpt = lambda address: next(refusals, None)
    sessions.queue(sqlite_db, 1)
    first_id = outbox_rows(sqlite_db)[0].id
    result = delivery.deliver_message(sqlite_db, smtp_settings, first_id)
    # The first wait is the base (0.2 s) less up to half of it (jitter).
    assert result.outcome == delivery.Outcome.RETRY and result.retry_in is not None and 0.1 <= result.retry_in <= 0.2
    row = next(r for r in outbox_rows(sqlite_db) if r.id == first_id)
    assert (row.status, row.attempts) == ("pending", 1) and "451" in (row.last_error or "")
    assert delivery.deliver_message(sqlite_db, smtp_settings, first_id).outcome == delivery.Outcome.NOT_DUE
    later = utcnow() + dt.timedelta(seconds=1)
    assert delivery.deliver_message(sqlite_db, smtp_settings, first_id, now=later).outcome == delivery.Outcome.SENT
    row = next(r for r in outbox_rows(sqlite_db) if r.id == first_id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)


def test_an_unreachable_server_pauses_the_outbox_and_fails_nothing(
    sqlite_db: Database, tmp_path: Path, sessions: Sessions
) -> None:
    settings = unreachable_smtp_settings(tmp_path, sqlite_db.url, smtp_timeout=2.0, outbox_retry_base_seconds=0)
    sessions.queue(sqlite_db, 1)
    for _ in range(3):
        assert delivery.deliver_all_pending(sqlite_db, settings) == (0, 2)
    rows = outbox_rows(sqlite_db)
    assert {r.status for r in rows} == {"pending"}
    assert all((r.last_error or "").startswith("SMTP") for r in rows)
    with sqlite_db.sessions() as db:
        assert delivery.outbox_health(db).paused_since is not None


def test_invitations_ask_for_an_answer_only_where_a_door_reads_it(
    sqlite_db: Database, tmp_path: Path, sessions: Sessions
) -> None:
    settings = make_settings(tmp_path, sqlite_db.url, inbound_replies="imap")
    sessions.queue(sqlite_db, 1)
    assert delivery.deliver_all_pending(sqlite_db, settings) == (2, 0)
    from email import message_from_bytes, policy

    for path in Path(settings.mail_dir).glob("*.eml"):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        _, event = only_event(message)  # type: ignore[arg-type]
        assert {a.params["RSVP"] for a in event["ATTENDEE"]} == {"TRUE"}
        assert "accept or decline this invitation in your calendar" in message.get_body(  # type: ignore[union-attr]
            ("plain",)).get_content().replace("\n", " ")


def test_a_request_overtaken_by_a_reschedule_is_superseded_not_sent(
    sqlite_db: Database, smtp_settings: Settings, smtp_server: SmtpServer, sessions: Sessions
) -> None:
    (session_id,) = sessions.queue(sqlite_db, 1)
    with sqlite_db.sessions() as db, db.begin():
        session = db.get_one(CoachingSession, session_id)
        session.sequence += 1
        db.flush()
        outbox.enqueue_session_messages(db, session, outbox.REQUEST)
    assert delivery.deliver_all_pending(sqlite_db, smtp_settings) == (2, 0)
    assert [r.status for r in outbox_rows(sqlite_db)] == [delivery.SUPERSEDED] * 2 + ["sent"] * 2
    assert {int(only_event(r.message)[1]["SEQUENCE"]) for r in smtp_server.received} == {1}


def test_reminders_are_queued_once_and_sent_without_an_invitation(
    sqlite_db: Database, smtp_settings: Settings, smtp_server: SmtpServer, sessions: Sessions
) -> None:
    now = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)
    with sqlite_db.sessions() as db, db.begin():
        due = sessions.add(db, now + dt.timedelta(hours=10))
        sessions.add(db, now + dt.timedelta(hours=30))
        sessions.add(db, now + dt.timedelta(hours=5), status=SessionStatus.CANCELLED.value)
        sessions.add(db, now - dt.timedelta(hours=1))
        queued = delivery.enqueue_due_reminders(db, now, 24)
        assert {(m.session_id, m.kind) for m in queued} == {(due.id, "REMINDER")}
        assert len(queued) == 2
    with sqlite_db.sessions() as db, db.begin():
        assert delivery.enqueue_due_reminders(db, now + dt.timedelta(minutes=5), 24) == []
    settings = smtp_settings
    # The session must still be ahead when the reminder goes out.
    sent = [delivery.deliver_message(sqlite_db, settings, r.id, now=now) for r in outbox_rows(sqlite_db)]
    assert [s.outcome for s in sent] == [delivery.Outcome.SENT] * 2
    for item in smtp_server.received:
        message = item.message
        assert message.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
        assert message["Subject"].startswith("Reminder:")


def test_status_link_mail_carries_the_token_which_is_cleared_once_sent(
    sqlite_db: Database, smtp_settings: Settings, smtp_server: SmtpServer, sessions: Sessions
) -> None:
    with sqlite_db.sessions() as db, db.begin():
        request = sessions.add(db, SOON).engagement.request
        outbox.enqueue_status_link(db, request, "raw-token-123")
    assert delivery.deliver_all_pending(sqlite_db, smtp_settings) == (1, 0)
    (item,) = smtp_server.received
    body = item.message.get_body(("plain",))
    assert body is not None and "https://coaching.example/r/raw-token-123" in body.get_content()
    (row,) = outbox_rows(sqlite_db)
    assert row.status == "sent" and "token" not in row.payload


def test_file_backend_writes_one_eml_per_message_and_a_resend_replaces_it(
    sqlite_db: Database, file_settings: Settings, sessions: Sessions
) -> None:
    sessions.queue(sqlite_db, 2)
    assert delivery.deliver_all_pending(sqlite_db, file_settings) == (4, 0)
    files = sorted(Path(file_settings.mail_dir).glob("*.eml"))
    assert len(files) == 4
    # Sending a message again (the crash window) writes the same file, not a fifth.
    row = outbox_rows(sqlite_db)[0]
    with sqlite_db.sessions() as db, db.begin():
        db.get_one(OutboxMessage, row.id).status = "pending"
    assert delivery.deliver_all_pending(sqlite_db, file_settings) == (1, 0)
    assert len(list(Path(file_settings.mail_dir).glob("*.eml"))) == 4


def test_dispatch_with_an_eager_app_delivers_at_once(sqlite_db: Database, tmp_path: Path, sessions: Sessions) -> None:
    settings = make_settings(tmp_path, sqlite_db.url, celery_task_always_eager=True)
    sessions.queue(sqlite_db, 1)
    ids = [r.id for r in outbox_rows(sqlite_db)]
    assert tasks.dispatch_deliveries(settings, ids) == 2
    assert {r.status for r in outbox_rows(sqlite_db)} == {"sent"}


def test_dispatch_with_no_broker_leaves_rows_for_the_sweeper(
    sqlite_db: Database, tmp_path: Path, sessions: Sessions
) -> None:
    from tests.scheduler.conftest import free_port

    settings = make_settings(tmp_path, sqlite_db.url, celery_broker_url=f"redis://127.0.0.1:{free_port()}/0")
    sessions.queue(sqlite_db, 1)
    started = time.monotonic()
    assert tasks.dispatch_deliveries(settings, [r.id for r in outbox_rows(sqlite_db)]) == 0
    assert time.monotonic() - started < 30
    assert {r.status for r in outbox_rows(sqlite_db)} == {"pending"}


def test_logs_name_no_person(
    sqlite_db: Database, smtp_settings: Settings, smtp_server: SmtpServer, sessions: Sessions,
    caplog: pytest.LogCaptureFixture,
) -> None:
    smtp_server.handler.on_rcpt = lambda address: "550 5.1.1 no such user" if address.startswith("coach1") else None
    sessions.queue(sqlite_db, 2)
    with caplog.at_level(logging.DEBUG, logger="scheduler"):
        delivery.deliver_all_pending(sqlite_db, smtp_settings)
    text = caplog.text
    assert "outbox" in text
    with sqlite_db.sessions() as db:
        for request in db.scalars(select(CoachingRequest)):
            assert request.coachee_email not in text and request.coachee_name not in text
    assert "@" not in text and "Coach Ånna" not in text


def test_throughput_over_smtp(
    sqlite_db: Database, smtp_settings: Settings, smtp_server: SmtpServer, sessions: Sessions,
    record_property: pytest.RecordProperty,
) -> None:
    sessions.queue(sqlite_db, 50)
    started = time.perf_counter()
    assert delivery.deliver_all_pending(sqlite_db, smtp_settings) == (100, 0)
    rate = 100 / (time.perf_counter() - started)
    record_property("messages_per_second", round(rate, 1))
    print(f"\nSMTP delivery: {rate:.0f} messages/s on SQLite")
    assert len(smtp_server.received) == 100


def test_approval_writes_rows_the_edge_dispatches_after_commit(
    sqlite_db: Database, tmp_path: Path, sessions: Sessions
) -> None:
    """The path an edge takes: a service writes outbox rows, the edge commits, then dispatches them."""
    from scheduler.models import Engagement, EngagementStatus, Programme, RequestStatus
    from scheduler.services.planning.approval import approve

    settings = make_settings(tmp_path, sqlite_db.url, celery_task_always_eager=True)
    with sqlite_db.sessions() as db, db.begin():
        draft = sessions.add(db, SOON, status=SessionStatus.DRAFT.value)
        engagement = db.get_one(Engagement, draft.engagement_id)
        engagement.status, engagement.approved_at = EngagementStatus.DRAFT.value, None
        engagement.request.status = RequestStatus.WAITING.value
    handed: list[AfterCommit] = []
    with UnitOfWork(sqlite_db, settings, after_commit=lambda s, work: handed.append(work)) as db:
        approve(db, db.scalars(select(Programme)).one())
    (work,) = handed
    assert len(work.outbox_ids) == 2 and work.solve_run_ids == ()
    assert tasks.dispatch_deliveries(settings, work.outbox_ids) == 2
    assert [(r.kind, r.status) for r in outbox_rows(sqlite_db)] == [("REQUEST", "sent")] * 2
    assert len(list(Path(settings.mail_dir).glob("*.eml"))) == 2
