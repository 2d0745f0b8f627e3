"""A solve run as the supervisor's page script and the API read it.

Starting a solve is `solving.queue_solve` inside the request's unit of work, which hands the
committed run to the solve queue; no view commits or dispatches by itself.
"""

from __future__ import annotations

from typing import Any

from scheduler.models import SolveRun, SolveRunStatus


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
        "finished": run.status in (SolveRunStatus.DONE, SolveRunStatus.FAILED),
    }
