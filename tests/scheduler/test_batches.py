"""Approving the demo draft opens one SMTP connection per batch (counted at a real aiosmtpd server).

The path is the web edge's: approve every draft engagement, commit, hand the new outbox rows
to the task layer (here a Celery app running tasks eagerly in this process, so they run one
after the other as a single solo worker would).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from sqlalchemy import select

from scheduler import tasks
from scheduler.db import Database
from scheduler.demo import load_demo
from scheduler.models import OutboxMessage, Programme
from scheduler.services.messaging import delivery
from scheduler.services.planning.approval import approve
from scheduler.services.planning.solving import solve_now
from scheduler.unit_of_work import take_after_commit, track
from tests.scheduler.conftest import SmtpServer, smtp_settings_for


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_approving_the_demo_draft_opens_one_connection_per_batch(
    sqlite_db: Database, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    settings = smtp_settings_for(tmp_path, sqlite_db.url, smtp_server, solver_time_limit=3.0,
                                 celery_task_always_eager=True, outbox_batch_size=25)
    with sqlite_db.sessions() as db, db.begin():
        load_demo(db, password="demo-password-1")
        programme_id = db.scalars(select(Programme)).one().id
    assert solve_now(sqlite_db, programme_id, settings).status == "done"
    with sqlite_db.sessions() as db, db.begin():
        # The demo's coachee status links were queued on submission; send them first, apart.
        pending = db.scalars(select(OutboxMessage.id)).all()
    delivery.deliver_all_pending(sqlite_db, settings)
    before = len(smtp_server.received)
    smtp_server.handler.peers.clear()
    assert len(pending) == before

    with track(sqlite_db.sessions()) as db, db.begin():
        approved = approve(db, db.get_one(Programme, programme_id))
        ids = list(take_after_commit(db).outbox_ids)
    assert len(approved) >= 30 and len(ids) >= 150
    from scheduler.celery_app import app_for

    assert tasks.dispatch_deliveries(settings, ids, app=app_for(settings)) == len(ids)
    received = smtp_server.received[before:]
    assert len(received) == len(ids), "every invitation, once"
    assert len({r.message["Message-ID"] for r in received}) == len(ids)
    batches = math.ceil(len(ids) / settings.outbox_batch_size)
    print(f"\n{len(approved)} engagements approved: {len(ids)} invitations over "
          f"{len(smtp_server.handler.peers)} SMTP connections ({batches} batches of at most 25)")
    assert len(smtp_server.handler.peers) == batches
