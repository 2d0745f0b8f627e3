"""Retention with a frozen clock: each rule has a case it acts on and one it leaves alone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from config.settings import Settings
from scheduler.db import Database
from scheduler.models import AuditEntry, CoachingRequest, RequestStatus
from scheduler.services import audit
from scheduler.services.privacy import erasure
from scheduler.services.privacy.retention import apply_retention, months_before
from tests.scheduler.conftest import make_settings
from tests.scheduler.privacy_builders import coach as _coach
from tests.scheduler.privacy_builders import engaged as _engaged
from tests.scheduler.privacy_builders import programme as _programme
from tests.scheduler.privacy_builders import request as _request

# The clock the job sees: fixed, so "12 months after" is exact.
NOW = dt.datetime(2027, 6, 15, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def settings(tmp_path: Path, database: Database) -> Settings:
    return make_settings(tmp_path, database.url)  # defaults: 12 months, 90 days, 180 days


def _run(database: Database, settings: Settings, now: dt.datetime) -> tuple[list[int], list[int]]:
    with database.sessions() as db, db.begin():
        audit.set_actor(db, audit.JOB)
        report = apply_retention(db, settings, now=now)
    return report.expired, report.anonymised


def test_months_before_counts_calendar_months() -> None:
    assert months_before(NOW, 12) == dt.datetime(2026, 6, 15, 9, 0, tzinfo=dt.UTC)
    assert months_before(dt.datetime(2027, 3, 31, tzinfo=dt.UTC), 1) == dt.datetime(2027, 2, 28, tzinfo=dt.UTC)


def test_served_requests_are_anonymised_twelve_months_after_their_last_session(
    database: Database, settings: Settings
) -> None:
    with database.sessions() as db, db.begin():
        programme = _programme(db)
        coach = _coach(db, programme)
        old = _request(db, programme, NOW - dt.timedelta(days=500))
        _engaged(db, old, coach, [NOW - dt.timedelta(days=380)])  # last session ~12.5 months ago
        recent = _request(db, programme, NOW - dt.timedelta(days=500))
        _engaged(db, recent, coach, [NOW - dt.timedelta(days=300)])  # ~10 months ago: kept
        old_id, recent_id = old.id, recent.id

    expired, anonymised = _run(database, settings, NOW)
    assert (expired, anonymised) == ([], [old_id])
    with database.sessions() as db:
        assert db.get(CoachingRequest, old_id).erased_at == NOW  # type: ignore[union-attr]
        assert db.get(CoachingRequest, recent_id).coachee_name != erasure.ERASED  # type: ignore[union-attr]
        [entry] = db.scalars(select(AuditEntry).where(AuditEntry.action == audit.ANONYMISE)).all()
        assert (entry.actor_role, entry.interface, entry.object_id) == ("job", "job", old_id)

    # Two months later the recent one's twelve months are over too.
    assert _run(database, settings, NOW + dt.timedelta(days=70)) == ([], [recent_id])


def test_requests_closed_unserved_go_after_ninety_days_and_waiting_ones_expire_first(
    database: Database, settings: Settings
) -> None:
    with database.sessions() as db, db.begin():
        programme = _programme(db)
        cancelled_long_ago = _request(db, programme, NOW - dt.timedelta(days=100))
        cancelled_long_ago.status = RequestStatus.CANCELLED.value
        cancelled_lately = _request(db, programme, NOW - dt.timedelta(days=60))
        cancelled_lately.status = RequestStatus.CANCELLED.value
        waiting_too_long = _request(db, programme, NOW - dt.timedelta(days=181))
        waiting = _request(db, programme, NOW - dt.timedelta(days=179))
        ids = [r.id for r in (cancelled_long_ago, cancelled_lately, waiting_too_long, waiting)]

    expired, anonymised = _run(database, settings, NOW)
    assert expired == [ids[2]]
    assert anonymised == [ids[0]]  # the expired one's 90 days start now
    with database.sessions() as db:
        assert db.get(CoachingRequest, ids[2]).status == RequestStatus.EXPIRED.value  # type: ignore[union-attr]
        assert db.get(CoachingRequest, ids[3]).status == RequestStatus.WAITING.value  # type: ignore[union-attr]

    assert _run(database, settings, NOW + dt.timedelta(days=91)) == ([ids[3]], [ids[1], ids[2]])


def test_a_request_with_a_session_still_to_come_is_never_anonymised(database: Database, settings: Settings) -> None:
    with database.sessions() as db, db.begin():
        programme = _programme(db)
        request = _request(db, programme, NOW - dt.timedelta(days=700))
        _engaged(db, request, _coach(db, programme), [NOW - dt.timedelta(days=600), NOW + dt.timedelta(days=2)])
    assert _run(database, settings, NOW) == ([], [])


def test_the_beat_schedule_runs_the_retention_job(settings: Settings) -> None:
    from scheduler.celery_app import make_celery

    schedule = make_celery(settings).conf.beat_schedule
    assert schedule["apply-retention"]["task"] == "scheduler.tasks.apply_retention"
    assert schedule["apply-retention"]["schedule"] == settings.retention_scan_seconds


def test_the_task_runs_the_job_on_the_real_clock_as_a_job(database: Database, settings: Settings) -> None:
    from dataclasses import replace

    import scheduler.tasks  # noqa: F401  (registers the task)
    from scheduler.celery_app import make_celery

    with database.sessions() as db, db.begin():
        stale = _request(db, _programme(db), dt.datetime.now(dt.UTC) - dt.timedelta(days=200)).id
    app = make_celery(replace(settings, celery_task_always_eager=True))
    result = app.tasks["scheduler.tasks.apply_retention"].apply().get()
    assert result == {"expired": 1, "anonymised": 0}
    with database.sessions() as db:
        [entry] = db.scalars(select(AuditEntry).where(AuditEntry.action == audit.EXPIRE)).all()
        assert (entry.object_id, entry.actor_role, entry.interface) == (stale, "job", "job")
