"""Coachee pages. Coachees have no account: the private link's token is their key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from scheduler.models import CoachingRequest, Programme
from scheduler.services.errors import InvalidInput
from scheduler.services.requests import intake, reschedule, self_service
from scheduler.services.requests import status as request_status
from scheduler.services.requests.intake import submit_request
from web.choices import LANGUAGE_NAMES, WEEKDAY_NAMES, windows_fields, windows_text
from web.helpers import current_programme
from web.unit_of_work import db_session

bp = Blueprint("requests", __name__)

FIELD_LABELS = {
    "coachee_name": "Your name",
    "coachee_email": "Your e-mail address",
    "organisation": "Your organisation",
    "topics": "Topics",
    "languages": "Languages",
    "sessions_wanted": "Number of sessions",
    "timezone": "Your timezone",
    "windows": "Times you can meet",
    "earliest_start": "Earliest start date",
    "consent": "Consent",
    "priority": "Priority",
}


def _languages_offered(prog: Programme) -> list[str]:
    return list(prog.languages) or sorted(LANGUAGE_NAMES)


def _form_values(prog: Programme) -> dict[str, Any]:
    form = request.form
    return {
        "coachee_name": form.get("coachee_name", ""),
        "coachee_email": form.get("coachee_email", ""),
        "organisation": form.get("organisation", ""),
        "topics": form.getlist("topics"),
        "languages": [form.get(f"language_{rank}", "") for rank in (1, 2, 3)],
        "sessions_wanted": form.get("sessions_wanted", "3"),
        "timezone": form.get("timezone", prog.timezone),
        "earliest_start": form.get("earliest_start", ""),
        "message": form.get("message", ""),
        "consent": bool(form.get("consent")),
        **{f"windows_{day}": form.get(f"windows_{day}", "") for day, _ in WEEKDAY_NAMES},
    }


def _render_form(
    prog: Programme, form: dict[str, Any], errors: dict[str, str], submitted: bool, token: str | None = None
) -> str:
    return render_template(
        "requests/new.html",
        editing=token is not None,
        token=token,
        programme=prog,
        programme_languages=_languages_offered(prog),
        language_names=LANGUAGE_NAMES,
        weekdays=WEEKDAY_NAMES,
        form=form,
        errors=errors,
        labels=FIELD_LABELS,
        submitted=submitted,
    )


@bp.get("/request")
def new_request() -> ResponseReturnValue:
    prog = current_programme()
    empty: dict[str, Any] = {"topics": [], "languages": [], "sessions_wanted": "3", "timezone": prog.timezone}
    return _render_form(prog, empty, {}, submitted=False)


@bp.post("/request")
def submit() -> ResponseReturnValue:
    prog = current_programme()
    form = _form_values(prog)
    data = {
        **{key: form[key] for key in ("coachee_name", "coachee_email", "organisation", "timezone", "message")},
        "topics": form["topics"],
        "languages": [code for code in form["languages"] if code],
        "sessions_wanted": form["sessions_wanted"],
        "earliest_start": form["earliest_start"] or None,
        "windows": windows_text(form),
        "consent": form["consent"],
    }
    settings = current_app.config["SETTINGS"]
    try:
        submit_request(db_session(), prog, data, link_days=settings.coachee_link_days)
    except InvalidInput as exc:
        return _render_form(prog, form, exc.fields, submitted=True), 422
    session["submitted_email"] = data["coachee_email"]
    return redirect(url_for("requests.sent"), code=303)


def _editable_form(coaching_request: CoachingRequest) -> dict[str, Any]:
    return {
        "topics": list(coaching_request.topics),
        "languages": list(coaching_request.languages),
        "sessions_wanted": str(coaching_request.sessions_wanted),
        "timezone": coaching_request.timezone,
        **windows_fields(coaching_request.windows),
    }


@bp.route("/r/<token>/edit", methods=["GET", "POST"])
def edit(token: str) -> ResponseReturnValue:
    db = db_session()
    coaching_request = request_status.request_for_token(db, token)
    prog = current_programme()
    if request.method == "GET":
        return _render_form(prog, _editable_form(coaching_request), {}, submitted=True, token=token)
    form = _form_values(prog)
    data = {
        "topics": form["topics"],
        "languages": [code for code in form["languages"] if code],
        "sessions_wanted": form["sessions_wanted"],
        "timezone": form["timezone"],
        "windows": windows_text(form),
    }
    try:
        self_service.edit_waiting_request(db, coaching_request, data)
    except InvalidInput as exc:
        return _render_form(prog, form, exc.fields, submitted=True, token=token), 422
    flash("Your request is changed. You keep your place in the queue.", "success")
    return redirect(_status_url(token), code=303)


@bp.post("/r/<token>/sessions/<int:session_id>/cancel")
def cancel_session(token: str, session_id: int) -> ResponseReturnValue:
    db = db_session()
    coaching_request = request_status.request_for_token(db, token)
    session_ = request_status.session_of_request(coaching_request, session_id)
    self_service.cancel_one_session(db, coaching_request, session_)
    flash("That session is cancelled; your other sessions stand. You and your coach get a cancellation.", "info")
    return redirect(_status_url(token), code=303)


@bp.post("/r/<token>/another-coach")
def another_coach(token: str) -> ResponseReturnValue:
    message = "We will look for a different coach for you. You keep your place in the queue."
    return _answer(token, self_service.ask_for_another_coach, message, "info")


def _answer(
    token: str, action: Callable[[Session, CoachingRequest], object], message: str, category: str
) -> ResponseReturnValue:
    """The coachee's answer behind their link: act on the request, say so, back to the status page."""
    db = db_session()
    action(db, request_status.request_for_token(db, token))
    flash(message, category)
    return redirect(_status_url(token), code=303)


@bp.get("/request/sent")
def sent() -> ResponseReturnValue:
    email = session.get("submitted_email")
    if not email:
        return redirect(url_for("requests.new_request"))
    return render_template("requests/sent.html", email=email)


@bp.route("/request/new-link", methods=["GET", "POST"])
def new_link() -> ResponseReturnValue:
    email = request.form.get("coachee_email", "").strip()
    if request.method == "GET":
        return render_template("requests/new_link.html", errors={}, email="", sent=False)
    settings = current_app.config["SETTINGS"]
    try:
        request_status.send_links_for_email(db_session(), current_programme(), email, link_days=settings.coachee_link_days)
    except InvalidInput as exc:
        return render_template("requests/new_link.html", errors=exc.fields, email=email, sent=False), 422
    return render_template("requests/new_link.html", errors={}, email=email, sent=True)


def _status_url(token: str) -> str:
    return url_for("requests.status", token=token)


@bp.get("/r/<token>")
def status(token: str) -> ResponseReturnValue:
    db = db_session()
    coaching_request = request_status.request_for_token(db, token)
    view = request_status.overview(db, coaching_request)
    return render_template(
        "requests/status.html",
        token=token,
        view=view,
        tz=coaching_request.timezone,
        language_names=LANGUAGE_NAMES,
        weekdays=WEEKDAY_NAMES,
        waiting_days=view.waiting_for.days,
    )


@bp.post("/r/<token>/accept")
def accept(token: str) -> ResponseReturnValue:
    return _answer(token, intake.accept_proposal, "Thank you: your sessions are confirmed.", "success")


@bp.post("/r/<token>/decline")
def decline(token: str) -> ResponseReturnValue:
    return _answer(token, intake.decline_proposal, "You declined the proposal. The sessions are cancelled.", "info")


@bp.post("/r/<token>/cancel")
def cancel(token: str) -> ResponseReturnValue:
    return _answer(token, intake.cancel_request, "Your request is cancelled.", "info")


@bp.route("/r/<token>/sessions/<int:session_id>/reschedule", methods=["GET", "POST"])
def reschedule_session(token: str, session_id: int) -> ResponseReturnValue:
    db = db_session()
    coaching_request = request_status.request_for_token(db, token)
    session_ = request_status.session_of_request(coaching_request, session_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        chosen = request.form.get("start", "")
        try:
            new_start = dt.datetime.strptime(chosen, "%Y-%m-%dT%H:%MZ").replace(tzinfo=dt.UTC)
        except ValueError:
            errors["start"] = "choose one of the times below"
        else:
            reschedule.move_session(db, session_, new_start)
            flash("Your session has moved. You and your coach will get an updated invitation.", "success")
            return redirect(_status_url(token), code=303)
    step = reschedule.SHOWN_AT_FIRST
    shown = min(max(request.args.get("shown", step, type=int) or step, step), 10 * step)
    options = reschedule.alternatives(db, session_, limit=shown)
    return render_template(
        "requests/reschedule.html",
        token=token,
        session=session_,
        options=options,
        more=shown + step if len(options) == shown and shown < 10 * step else None,
        tz=coaching_request.timezone,
        errors=errors,
    ), (422 if errors else 200)
