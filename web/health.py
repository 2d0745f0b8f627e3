"""`GET /health`: is the service up, and how is the outbox doing (counts and times only, nothing personal)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from scheduler.services.messaging import delivery
from web.unit_of_work import db_session

bp = Blueprint("health", __name__)


@bp.get("/health")
def health() -> ResponseReturnValue:
    outbox = delivery.outbox_health(db_session())
    # 200 while the service runs; a paused outbox is reported, not an error of this service.
    return jsonify({"status": "ok", "outbox": outbox.as_json()})
