"""Intervision rounds: open, watch sign-ups, plan, schedule (supervisor); sign up (public form)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from scheduler.models import Programme
from scheduler.services.errors import InvalidInput
from scheduler.services.intervision import operations as intervision
from scheduler.services.programmes.current import current_programme
from web.choices import LANGUAGE_NAMES
from web.security import role_required
from web.unit_of_work import db_session

bp = Blueprint("intervision", __name__)

ROUND_LABELS = {
    "title": "Title",
    "starts_on": "First day",
    "ends_on": "Last day",
    "weekly": "Weekly meeting times",
    "session_minutes": "Meeting length (minutes)",
    "min_group_size": "Smallest group",
    "max_group_size": "Largest group",
}
SIGN_UP_LABELS = {
    "name": "Your name",
    "email": "Your e-mail address",
    "organisation": "Your organisation",
    "languages": "Languages you can speak in the group",
    "experience": "Your experience",
    "slots": "Times you can come",
}


def _programme() -> Programme:
    return current_programme(db_session(), current_app.config.get("PROGRAMME_ID"))


@bp.route("/supervisor/intervision/", methods=["GET", "POST"])
@role_required("supervisor")
def rounds() -> ResponseReturnValue:
    db = db_session()
    programme = _programme()
    errors: dict[str, str] = {}
    form = {"title": "", "starts_on": "", "ends_on": "", "weekly": "tue 18:00-20:00; thu 18:00-20:00",
            "session_minutes": "120", "min_group_size": "4", "max_group_size": "5"}  # fmt: skip
    if request.method == "POST":
        form = {name: request.form.get(name, "") for name in ROUND_LABELS}
        try:
            opened = intervision.open_round(db, programme, form)
        except InvalidInput as exc:
            errors = exc.fields
        else:
            flash(f"Round opened with {len(opened.slots)} meeting times; share its sign-up form.", "success")
            return redirect(url_for("intervision.round_page", round_id=opened.id), code=303)
    return render_template(
        "intervision/rounds.html", rounds=intervision.rounds(db, programme), form=form, errors=errors, labels=ROUND_LABELS
    )


@bp.get("/supervisor/intervision/<int:round_id>")
@role_required("supervisor")
def round_page(round_id: int) -> ResponseReturnValue:
    programme = _programme()
    round_ = intervision.round_by_id(db_session(), programme, round_id)
    people = {s.id: s for s in round_.sign_ups}
    return render_template(
        "intervision/round.html", round=round_, people=people, tz=programme.timezone, language_names=LANGUAGE_NAMES,
        experience=intervision.EXPERIENCE,
    )  # fmt: skip


@bp.post("/supervisor/intervision/<int:round_id>/plan")
@role_required("supervisor")
def plan(round_id: int) -> ResponseReturnValue:
    round_ = intervision.round_by_id(db_session(), _programme(), round_id)
    intervision.plan_round(db_session(), round_, time_limit=5.0)
    flash(f"{len(round_.groups)} group(s) formed; {len(round_.left_out)} sign-up(s) left out, with reasons.", "success")
    return redirect(url_for("intervision.round_page", round_id=round_id), code=303)


@bp.post("/supervisor/intervision/<int:round_id>/schedule")
@role_required("supervisor")
def schedule(round_id: int) -> ResponseReturnValue:
    round_ = intervision.round_by_id(db_session(), _programme(), round_id)
    invited = intervision.schedule_round(db_session(), round_)
    flash(f"Scheduled: {invited} invitation(s) on their way.", "success")
    return redirect(url_for("intervision.round_page", round_id=round_id), code=303)


@bp.route("/intervision/<ref>", methods=["GET", "POST"])
def sign_up(ref: str) -> ResponseReturnValue:
    db = db_session()
    round_ = intervision.round_by_ref(db, ref)
    programme = db.get_one(Programme, round_.programme_id)
    errors: dict[str, str] = {}
    form: dict[str, object] = {"name": "", "email": "", "organisation": "", "languages": [], "experience": "",
                               "facilitator": "", "slots": []}  # fmt: skip
    done = False
    if request.method == "POST" and round_.status == "open":
        form = {
            "name": request.form.get("name", ""),
            "email": request.form.get("email", ""),
            "organisation": request.form.get("organisation", ""),
            "languages": request.form.getlist("languages"),
            "experience": request.form.get("experience", ""),
            "facilitator": request.form.get("facilitator", ""),
            "slots": request.form.getlist("slots"),
        }
        try:
            intervision.sign_up(db, round_, programme, form)
        except InvalidInput as exc:
            errors = exc.fields
        else:
            done = True
    return render_template(
        "intervision/sign_up.html", round=round_, programme=programme, form=form, errors=errors, labels=SIGN_UP_LABELS,
        done=done, experience=intervision.EXPERIENCE, language_names=LANGUAGE_NAMES,
        slot_times=intervision.slot_times(round_),
    )  # fmt: skip
