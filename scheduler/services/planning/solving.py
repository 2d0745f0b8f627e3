"""Run the solver on the programme's queue and keep its plan as a draft for the supervisor.

A solve runs outside any database transaction (it may take minutes, and SQLite
serialises writers): the instance is read in one short unit of work, progress is written
in short ones, and the draft is stored in a last one, for requests still waiting then.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import solver
from config import Settings
from scheduler.db import Database
from scheduler.models import (
    Coach,
    CoachingRequest,
    CoachingSession,
    Engagement,
    EngagementStatus,
    Programme,
    RequestStatus,
    SessionStatus,
    SolveRun,
    SolveRunStatus,
    utcnow,
)
from scheduler.queries import coach_names, draft_engagements, name_coaches, waiting_requests
from scheduler.services import audit
from scheduler.services.errors import Conflict, NotFound
from scheduler.services.supervision_sessions.queries import hours_since_supervision, next_supervisions
from scheduler.services.transitions import change_status
from scheduler.translator import (
    build_instance,
    coach_pk,
    request_pk,
    request_ref,
)

PROGRESS_EVERY_SECONDS = 1.0
STALE_AFTER = dt.timedelta(hours=1)


def queue_solve(db: Session, programme: Programme) -> SolveRun:
    """A new solve run for `programme`, waiting for a worker (or the CLI) to execute it.

    One solve per programme at a time: while one is queued or running a second is refused
    with a `Conflict` naming it (the database's partial unique index settles a race).
    The caller's unit of work hands the committed run to the solve queue.
    """
    running = _active_run(db, programme)
    if running is not None and running.started_at < utcnow() - STALE_AFTER:
        # Its worker died: a run this old will never report back.
        running.status, running.error = SolveRunStatus.FAILED, "abandoned: no result after an hour"
        db.flush()
        running = None
    if running is None:
        run = SolveRun(programme_id=programme.id, status=SolveRunStatus.QUEUED, started_at=utcnow())
        try:
            with db.begin_nested():
                db.add(run)
            audit.record(db, audit.SOLVE, run, old=None, new=SolveRunStatus.QUEUED)
            return run
        except IntegrityError:
            running = _active_run(db, programme)  # another request queued one at the same moment
            if running is None:
                raise
    raise Conflict(f"solve run {running.id} is already {running.status}; wait for it to finish")


def _active_run(db: Session, programme: Programme) -> SolveRun | None:
    return db.scalar(
        select(SolveRun).where(
            SolveRun.programme_id == programme.id,
            SolveRun.status.in_((SolveRunStatus.QUEUED, SolveRunStatus.RUNNING)),
        )
    )


def _progress_writer(database: Database, run_id: int) -> Callable[[solver.Progress], None]:
    last = 0.0

    def write(progress: solver.Progress) -> None:
        nonlocal last
        if time.monotonic() - last < PROGRESS_EVERY_SECONDS:
            return
        last = time.monotonic()
        with database.sessions() as db, db.begin():
            run = db.get(SolveRun, run_id)
            if run is not None:
                run.served_weight = progress.served_weight
                run.served_weight_bound = progress.served_weight_bound
                run.elapsed_seconds = progress.elapsed_seconds

    return write


def instance_document(db: Session, programme: Programme, now: dt.datetime) -> dict[str, Any]:
    """The solver instance for the programme's queue, with each coach's held hours since their
    last attended supervision and their next approved group supervision."""
    coaches = list(db.scalars(select(Coach).where(Coach.programme_id == programme.id)))
    held = hours_since_supervision(db, coaches, now)
    return build_instance(
        db,
        programme,
        now,
        hours_since_supervision={coach_id: hours.total for coach_id, hours in held.items()},
        planned_supervisions=next_supervisions(db, [c.id for c in coaches], now),
    )


def execute_solve_run(
    database: Database,
    run_id: int,
    settings: Settings,
    *,
    now: dt.datetime | None = None,
    on_progress: Callable[[solver.Progress], None] | None = None,
) -> SolveRun:
    """Solve the queue of the run's programme and store the plan as draft engagements."""
    now = now or utcnow()
    with database.sessions() as db, db.begin():
        run = db.get(SolveRun, run_id)
        if run is None:
            raise NotFound(f"solve run {run_id} does not exist")
        change_status(db, run, SolveRunStatus.QUEUED, SolveRunStatus.RUNNING, started_at=now)
        programme = db.get_one(Programme, run.programme_id)
        document = instance_document(db, programme, now)
        left_out = _requests_left_out(db, programme, document)

    write_progress = _progress_writer(database, run_id)

    def progress(p: solver.Progress) -> None:
        write_progress(p)
        if on_progress is not None:
            on_progress(p)

    try:
        instance = solver.parse_instance(document)
        solution = solver.solve(
            instance, time_limit=settings.solver_time_limit, workers=settings.solver_workers, on_progress=progress
        )
    except solver.InstanceError as exc:
        return _fail(database, run_id, "The programme's data cannot be solved: " + "; ".join(exc.problems))
    except Exception as exc:
        # Record the failure so the run does not stay "running" and block the next one.
        _fail(database, run_id, f"The solver stopped with an internal error ({type(exc).__name__}).")
        raise

    with database.sessions() as db, db.begin():
        run = db.get_one(SolveRun, run_id)
        _store_draft(db, run, solution)
        run.status = SolveRunStatus.DONE
        run.finished_at = utcnow()
        run.solver_status = solution.status
        run.served_weight = solution.served_weight
        run.served_weight_bound = solution.served_weight_bound
        run.elapsed_seconds = float(str(solution.stats.get("wall_seconds", 0.0)))
        names = coach_names(db, run.programme_id)
        run.unassigned = unserved_reasons(solution, names) + left_out
        return run


def unserved_reasons(solution: solver.Solution, names: dict[int, str]) -> list[dict[str, Any]]:
    """Each unserved request's reasons for people (coaches by name) and, beside them, their codes."""
    out = []
    for unserved in solution.unassigned:
        details = [
            {"code": d.code, "text": name_coaches(d.text, names), "params": json.loads(json.dumps(d.params, default=str))}
            for d in unserved.details
        ] or [{"code": "reason", "text": name_coaches(text, names), "params": {}} for text in unserved.reasons]
        out.append(
            {"request_id": request_pk(unserved.request), "reasons": [d["text"] for d in details], "details": details}
        )
    return out


def _fail(database: Database, run_id: int, message: str) -> SolveRun:
    with database.sessions() as db, db.begin():
        run = db.get_one(SolveRun, run_id)
        run.status = SolveRunStatus.FAILED
        run.error = message
        run.finished_at = utcnow()
        return run


def _requests_left_out(db: Session, programme: Programme, document: dict[str, Any]) -> list[dict[str, Any]]:
    """Waiting requests the translator could not put in the instance, with the reason."""
    in_instance = {r["id"] for r in document["requests"]}
    return [
        {"request_id": r.id, "reasons": ["pinned to a coach who is no longer active: unpin or reactivate the coach"]}
        for r in waiting_requests(db, programme)
        if request_ref(r.id) not in in_instance
    ]


def _store_draft(db: Session, run: SolveRun, plan: solver.Solution) -> None:
    """Replace earlier drafts by this plan, for requests that are still waiting."""
    for engagement in draft_engagements(db, db.get_one(Programme, run.programme_id)):
        db.execute(
            delete(CoachingSession).where(
                CoachingSession.engagement_id == engagement.id, CoachingSession.status == SessionStatus.DRAFT
            )
        )
        engagement.status = EngagementStatus.SUPERSEDED
    for assignment in plan.assignments:
        request = db.get_one(CoachingRequest, request_pk(assignment.request))
        if request.status != RequestStatus.WAITING:
            continue  # cancelled while the solver ran
        engagement = Engagement(
            request_id=request.id,
            coach_id=coach_pk(assignment.coach),
            status=EngagementStatus.DRAFT,
            solve_run_id=run.id,
            score=dict(assignment.score),
        )
        db.add(engagement)
        db.flush()
        for planned in assignment.sessions:
            db.add(
                CoachingSession(
                    engagement_id=engagement.id,
                    coach_id=engagement.coach_id,
                    start_utc=planned.start,
                    end_utc=planned.end,
                    status=SessionStatus.DRAFT,
                )
            )
    db.flush()


def solve_now(database: Database, programme_id: int, settings: Settings, **kwargs: Any) -> SolveRun:
    """Queue and execute a solve in this process (the CLI's path)."""
    with database.sessions() as db, db.begin():
        run = queue_solve(db, db.get_one(Programme, programme_id))
        run_id = run.id
    return execute_solve_run(database, run_id, settings, **kwargs)


def latest_run(db: Session, programme: Programme) -> SolveRun | None:
    return db.scalar(
        select(SolveRun).where(SolveRun.programme_id == programme.id).order_by(SolveRun.id.desc()).limit(1)
    )


