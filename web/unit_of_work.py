"""One unit of work per web request: a session on `flask.g`, committed on success.

Services never commit; this module is the web edge's transaction boundary. A response
below 400 commits; anything else (an error page, an exception) rolls back. A commit the
database refuses becomes a 409 page instead of the response.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scheduler.db import Database
from scheduler.services.messaging import delivery, outbox

EXTENSION_KEY = "scheduler_database"


def database() -> Database:
    """The Database of the running app."""
    db: Database = current_app.extensions[EXTENSION_KEY]
    return db


def db_session() -> Session:
    """The session of the current request, opened on first use."""
    if "db_session" not in g:
        g.db_session = database().sessions()
    session: Session = g.db_session
    return session


def rollback() -> None:
    """Undo this request's changes (used by error handlers before rendering)."""
    session: Session | None = g.get("db_session")
    if session is not None:
        session.rollback()


def init_unit_of_work(app: Flask, db: Database) -> None:
    app.extensions[EXTENSION_KEY] = db

    @app.after_request
    def _commit(response: Response) -> Response:
        session: Session | None = g.get("db_session")
        if session is None:
            return response
        if response.status_code >= 400:
            session.rollback()
            return response
        try:
            new_messages = outbox.take_new_message_ids(session)
            session.commit()
        except IntegrityError:
            session.rollback()
            from web.errors import CONFLICT_MESSAGE, error_response

            return error_response(409, "conflict", CONFLICT_MESSAGE)
        # Whatever this request told people (invites, cancellations, links) goes out now;
        # if the broker is away the rows stay pending and the outbox sweeper sends them.
        delivery.dispatch_pending(current_app.config["SETTINGS"], new_messages, app=current_app.extensions["celery"])
        return response

    @app.teardown_request
    def _close(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()
