"""The supervisor's meeting place for one engagement (wins over the coach's own)."""

from __future__ import annotations

from flask import url_for
from flask.typing import ResponseReturnValue

from scheduler.models import Engagement
from scheduler.services.errors import NotFound
from scheduler.services.messaging import places
from web.coach.place import place_page
from web.helpers import current_programme
from web.supervisor.views import bp
from web.unit_of_work import db_session


@bp.route("/engagements/<int:engagement_id>/place", methods=["GET", "POST"])
def engagement_place(engagement_id: int) -> ResponseReturnValue:
    db = db_session()
    engagement = db.get(Engagement, engagement_id)
    if engagement is None or engagement.request.programme_id != current_programme().id:
        raise NotFound("There is no such engagement in this programme.")
    return place_page(
        engagement,
        lambda url, address, note: places.set_engagement_place(db, engagement, url, address, note),
        "The",
        url_for("supervisor.engagement_place", engagement_id=engagement_id),
        "supervisor/place.html",
        engagement=engagement,
    )
