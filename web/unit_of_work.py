"""The web edge's side of `scheduler.unit_of_work`: one unit of work per request.

A response below 400 commits (and the unit of work then hands new outbox rows and solve
runs to the workers); anything else (an error page, an exception) rolls back. A commit
the database refuses becomes a 409 page instead of the response. Views never commit.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, current_app, g, request
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scheduler.db import Database
from scheduler.services import audit
from scheduler.unit_of_work import UnitOfWork, actor

EXTENSION_KEY = "scheduler_database"


def database() -> Database:
    """The Database of the running app."""
    db: Database = current_app.extensions[EXTENSION_KEY]
    return db


def db_session() -> Session:
    """The session of the current request, opened on first use."""
    if "unit_of_work" not in g:
        g.unit_of_work = UnitOfWork(database(), current_app.config["SETTINGS"], acting=actor(None, None, "web"))
        # Flask-Login loads the user through this very session, so who acts is known only once
        # the view has authenticated: the audit log asks `web_actor` when it records a change.
        audit.set_actor(g.unit_of_work.open(), web_actor)
    unit: UnitOfWork = g.unit_of_work
    session = unit.open()
    return session


def web_actor() -> audit.Actor:
    """The person behind this request: an API token's owner, the signed-in user, or a coachee."""
    interface = "api" if request.blueprint == "api" else "web"
    account = g.get("api_account")
    if account is not None:
        return audit.Actor(account.user.id, account.user.role, interface)
    if current_user.is_authenticated:
        return audit.Actor(int(current_user.id), str(current_user.role), interface)
    # No account: the public pages and the status link are the coachee's.
    return audit.Actor(None, "coachee", interface)


def rollback() -> None:
    """Undo this request's changes (used by error handlers before rendering)."""
    unit: UnitOfWork | None = g.get("unit_of_work")
    if unit is not None:
        unit.rollback()


def keep_changes() -> None:
    """Commit this request's changes even though its response is an error (e.g. a 409 about a re-solve)."""
    g.keep_changes = True


def init_unit_of_work(app: Flask, db: Database, *, refused: Callable[[], Response]) -> None:
    """Commit each request's unit of work; `refused` is the response when the database refuses the commit."""
    app.extensions[EXTENSION_KEY] = db

    @app.after_request
    def _commit(response: Response) -> Response:
        unit: UnitOfWork | None = g.get("unit_of_work")
        if unit is None or unit.session is None:
            return response
        if response.status_code >= 400 and not g.get("keep_changes"):
            unit.rollback()
            return response
        try:
            # Whatever this request told people (invites, cancellations, links) goes out now;
            # if the broker is away the rows stay pending and the outbox sweeper sends them.
            unit.commit()
        except IntegrityError:
            return refused()
        return response

    @app.teardown_request
    def _close(_exc: BaseException | None) -> None:
        unit: UnitOfWork | None = g.pop("unit_of_work", None)
        if unit is not None:
            unit.close()
