"""Handing work to the Celery worker from a web request."""

from __future__ import annotations

from typing import Any

from flask import current_app

SEND_STATUS_LINKS_TASK = "scheduler.tasks.send_status_links"


def queue_job(name: str, *args: Any) -> None:
    """Hand a job to the worker by task name (raises when the broker cannot take it)."""
    celery = current_app.extensions["celery"]
    task = celery.tasks.get(name)
    if task is not None:
        task.apply_async(args=list(args))
    else:
        celery.send_task(name, args=list(args))
