"""Alembic environment: the URL comes from the caller (scheduler.schema) or DATABASE_URL."""

from __future__ import annotations

from alembic import context

from scheduler import models  # noqa: F401  (registers every table on Base.metadata)
from scheduler.db import Base, make_engine
from scheduler.services.attendance import models as attendance_models  # noqa: F401
from scheduler.services.feedback import models as feedback_models  # noqa: F401
from scheduler.services.intervision import models as intervision_models  # noqa: F401
from scheduler.services.supervision_sessions import models as supervision_models  # noqa: F401

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: object) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
