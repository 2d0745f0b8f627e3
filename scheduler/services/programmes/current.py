"""Which programme a page or command works on."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import Programme
from scheduler.services.errors import NotFound


def current_programme(db: Session, programme_id: int | None = None) -> Programme:
    """Programme `programme_id`, or the first one set up; NotFound when there is none yet."""
    if programme_id is not None:
        programme = db.get(Programme, programme_id)
    else:
        programme = db.scalar(select(Programme).order_by(Programme.id).limit(1))
    if programme is None:
        raise NotFound("No coaching programme is set up yet (run `coaching demo` or set one up first).")
    return programme
