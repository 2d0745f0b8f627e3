"""The supervisor's meeting place for one engagement (wins over the coach's own)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from scheduler.models import Engagement
from scheduler.services.errors import InvalidInput, NotFound
from scheduler.services.messaging import places
from web.coach.place import LABELS, place_form
from web.helpers import current_programme
from web.supervisor.views import bp
from web.unit_of_work import db_session


@bp.route("/engagements/<int:engagement_id>/place", methods=["GET", "POST"])
def engagement_place(engagement_id: int) -> ResponseReturnValue:
    db = db_session()
    engagement = db.get(Engagement, engagement_id)
    if engagement is None or engagement.request.programme_id != current_programme().id:
        raise NotFound("There is no such engagement in this programme.")
    form = place_form(engagement)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            told = places.set_engagement_place(db, engagement, form["meeting_url"], form["meeting_address"],
                                               form["meeting_note"])
        except InvalidInput as exc:
            errors = exc.fields
        else:
            flash(f"The meeting place is saved; {len(told)} upcoming session(s) get an updated invitation.",
                  "success")
            return redirect(url_for("supervisor.engagement_place", engagement_id=engagement_id), code=303)
    return render_template("supervisor/place.html", engagement=engagement, form=form, errors=errors,
                           labels=LABELS), (422 if errors else 200)
