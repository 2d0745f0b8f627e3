"""Compare-and-set status changes: `UPDATE ... WHERE id = :id AND status = :expected`.

Two people acting at once (the supervisor approving while the coachee cancels) cannot
both win: the loser's update matches no row and gets a `Conflict`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from scheduler.db import Base
from scheduler.services.errors import Conflict


def change_status(
    db: Session, obj: Base, expected: str | tuple[str, ...], new: str, **values: Any
) -> None:
    """Move `obj` from an expected status to `new`, or raise Conflict if it moved meanwhile."""
    model = type(obj)
    allowed = (expected,) if isinstance(expected, str) else expected
    result = db.execute(
        update(model)
        .where(model.id == obj.id, model.status.in_(allowed))  # type: ignore[attr-defined]
        .values(status=new, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.refresh(obj)
        raise Conflict(
            f"{model.__name__} {obj.id} is {obj.status}, not {' or '.join(allowed)}"  # type: ignore[attr-defined]
        )
    db.refresh(obj)
