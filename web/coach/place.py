"""The coach's meeting place: a video room or an address, and a note (into every invitation)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from scheduler.services.errors import InvalidInput
from scheduler.services.messaging import places
from web.coach.views import _coach, bp
from web.security import role_required
from web.unit_of_work import db_session

LABELS = {"meeting_url": "Video room address", "meeting_address": "Address", "meeting_note": "Note"}


def place_form(source: object) -> dict[str, str]:
    if request.method == "POST":
        return {name: request.form.get(name, "") for name in LABELS}
    return {name: getattr(source, name) or "" for name in LABELS}


@bp.route("/meeting-place", methods=["GET", "POST"])
@role_required("coach")
def meeting_place() -> ResponseReturnValue:
    coach = _coach()
    form = place_form(coach)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            told = places.set_coach_place(db_session(), coach, form["meeting_url"], form["meeting_address"],
                                          form["meeting_note"])
        except InvalidInput as exc:
            errors = exc.fields
        else:
            flash(f"Your meeting place is saved; {len(told)} upcoming session(s) get an updated invitation.",
                  "success")
            return redirect(url_for("coach.meeting_place"), code=303)
    return render_template("coach/place.html", form=form, errors=errors, labels=LABELS), (422 if errors else 200)
