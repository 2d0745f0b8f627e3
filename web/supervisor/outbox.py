"""The supervisor's view of the outbox: its state, failed messages with the reason, one-click retry."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from scheduler.services.errors import NotFound
from scheduler.services.messaging import delivery
from web.supervisor.views import bp
from web.unit_of_work import db_session


@bp.get("/outbox")
def outbox() -> ResponseReturnValue:
    db = db_session()
    return render_template("supervisor/outbox.html", health=delivery.outbox_health(db),
                           failed=delivery.failed_messages(db))


@bp.post("/outbox/<int:message_id>/retry")
def retry_message(message_id: int) -> ResponseReturnValue:
    if delivery.retry_failed(db_session(), message_id) is None:
        raise NotFound("There is no failed message with this number.")
    flash(f"Message {message_id} will be sent again.")
    return redirect(url_for("supervisor.outbox"), code=303)
