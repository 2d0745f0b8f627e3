"""The coach's meeting place: a video room or an address, and a note (into every invitation)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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


def place_page(
    source: object, save: Callable[[str, str, str], list[Any]], whose: str, done: str, template: str, **context: Any
) -> ResponseReturnValue:
    """The place form of `source` (a coach or an engagement); a POST saves it with `save(url, address, note)`
    and says how many upcoming sessions get an updated invitation."""
    form = place_form(source)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            told = save(form["meeting_url"], form["meeting_address"], form["meeting_note"])
        except InvalidInput as exc:
            errors = exc.fields
        else:
            flash(f"{whose} meeting place is saved; {len(told)} upcoming session(s) get an updated invitation.",
                  "success")
            return redirect(done, code=303)
    return render_template(template, form=form, errors=errors, labels=LABELS, **context), (422 if errors else 200)


@bp.route("/meeting-place", methods=["GET", "POST"])
@role_required("coach")
def meeting_place() -> ResponseReturnValue:
    coach = _coach()
    return place_page(
        coach,
        lambda url, address, note: places.set_coach_place(db_session(), coach, url, address, note),
        "Your",
        url_for("coach.meeting_place"),
        "coach/place.html",
    )
