"""Starting a solve from the web: queue the run, commit, then hand it to the Celery worker."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app

from scheduler.models import Programme, SolveRun
from scheduler.services.planning import review, solving
from web.unit_of_work import db_session

log = logging.getLogger(__name__)
RUN_SOLVE_TASK = "scheduler.tasks.run_solve"


def start_solve(programme: Programme) -> SolveRun:
    """Queue a solve run and dispatch it; the page then follows its progress on the run.

    The run is committed before the task is sent, so the worker always finds it. If the
    broker cannot take the task, the run is marked failed at once, so it does not block
    the next one.
    """
    db = db_session()
    run = solving.queue_solve(db, programme)
    db.commit()
    try:
        _dispatch(run.id)
    except Exception as exc:  # the run records the failure; the page shows it
        log.exception("could not start solve run %s", run.id)
        db.refresh(run)
        if run.status == "queued":  # no worker has it (a task run in-process records its own failure)
            review.fail_run(db, run, f"The solve could not be started ({type(exc).__name__}); try again.")
            db.commit()
    db.refresh(run)
    return run


def _dispatch(run_id: int) -> None:
    celery = current_app.extensions["celery"]
    task = celery.tasks.get(RUN_SOLVE_TASK)
    if task is not None:
        task.apply_async(args=[run_id])
    else:
        celery.send_task(RUN_SOLVE_TASK, args=[run_id])


def run_json(run: SolveRun | None) -> dict[str, Any] | None:
    """A solve run's progress, as the page's script and the API read it."""
    if run is None:
        return None
    share = None
    if run.served_weight is not None and run.served_weight_bound:
        share = round(100 * run.served_weight / run.served_weight_bound)
    return {
        "id": run.id,
        "status": run.status,
        "solver_status": run.solver_status,
        "served_weight": run.served_weight,
        "served_weight_bound": run.served_weight_bound,
        "percent_of_bound": share,
        "elapsed_seconds": run.elapsed_seconds,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "unassigned_count": len(run.unassigned or []),
        "error": run.error,
        "finished": run.status in ("done", "failed"),
    }
