"""Compare-and-set status changes: `UPDATE ... WHERE id = :id AND status = :expected`.

Two people acting at once (the supervisor approving while the coachee cancels) cannot
both win: the loser's update matches no row and gets a `Conflict`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

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


def change_statuses(db: Session, objs: Sequence[Base], expected: str, new: str, **values: Any) -> None:
    """`change_status` for many rows of one model in one statement: all move, or Conflict and none."""
    if not objs:
        return
    model = type(objs[0])
    ids = {obj.id for obj in objs}  # type: ignore[attr-defined]
    result = db.execute(
        update(model)
        .where(model.id.in_(ids), model.status == expected)  # type: ignore[attr-defined]
        .values(status=new, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != len(ids):  # type: ignore[attr-defined]
        for obj in objs:
            db.refresh(obj)
        moved = sorted(obj.id for obj in objs if obj.status != expected)  # type: ignore[attr-defined]
        raise Conflict(f"{model.__name__} {', '.join(map(str, moved))} moved on from {expected} meanwhile")
    # The rows are written; the objects learn the new values without being marked changed.
    for obj in objs:
        for name, value in {"status": new, **values}.items():
            set_committed_value(obj, name, value)
