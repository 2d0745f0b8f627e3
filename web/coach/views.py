"""Coach pages. Every page needs a signed-in coach; anyone else gets 403."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from scheduler.models import Coach
from scheduler.services.coaches import feeds, self_service
from scheduler.services.errors import InvalidInput
from web import api_token_pages
from web.choices import LANGUAGE_NAMES, WEEKDAY_NAMES, windows_fields, windows_text
from web.helpers import current_programme
from web.security import role_required
from web.unit_of_work import db_session

bp = Blueprint("coach", __name__, url_prefix="/coach")
feeds_bp = Blueprint("feeds", __name__)


def _coach() -> Coach:
    return self_service.coach_for_user(db_session(), current_user.id)


@bp.get("/sessions")  # the address the invitation e-mails link to
@bp.get("/")
@role_required("coach")
def dashboard() -> ResponseReturnValue:
    db = db_session()
    coach = _coach()
    return render_template(
        "coach/dashboard.html",
        coach=coach,
        to_answer=self_service.engagements_to_answer(db, coach),
        upcoming=self_service.upcoming_sessions(db, coach),
        tz=coach.timezone,
        language_names=LANGUAGE_NAMES,
    )


@bp.post("/engagements/<int:engagement_id>/<any(accept, decline):answer>")
@role_required("coach")
def respond(engagement_id: int, answer: str) -> ResponseReturnValue:
    self_service.respond_to_engagement(db_session(), _coach(), engagement_id, accept=answer == "accept")
    if answer == "accept":
        flash("Thank you: you accepted the engagement.", "success")
    else:
        flash(
            "You declined the engagement. The sessions are cancelled and the coachee waits for another coach.", "info"
        )
    return redirect(url_for("coach.dashboard"), code=303)


@bp.route("/profile", methods=["GET", "POST"])
@role_required("coach")
def profile() -> ResponseReturnValue:
    coach = _coach()
    programme = current_programme()
    errors: dict[str, str] = {}
    form = {"name": coach.name, "timezone": coach.timezone, "languages": coach.languages, "topics": coach.topics}
    if request.method == "POST":
        form = {
            "name": request.form.get("name", ""),
            "timezone": request.form.get("timezone", ""),
            "languages": request.form.getlist("languages"),
            "topics": request.form.getlist("topics"),
        }
        try:
            self_service.update_profile(db_session(), coach, programme, form)
        except InvalidInput as exc:
            errors = exc.fields
        else:
            flash("Your profile is saved.", "success")
            return redirect(url_for("coach.profile"), code=303)
    return render_template(
        "coach/profile.html",
        coach=coach,
        programme=programme,
        form=form,
        errors=errors,
        languages=list(programme.languages) or sorted(LANGUAGE_NAMES),
        language_names=LANGUAGE_NAMES,
    ), (422 if errors else 200)


def _render_availability(
    coach: Coach,
    weekly_form: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
    exception_form: dict[str, str] | None = None,
) -> ResponseReturnValue:
    return render_template(
        "coach/availability.html",
        coach=coach,
        weekdays=WEEKDAY_NAMES,
        form=weekly_form,
        exception_form=exception_form or {"available": "no"},
        errors=errors,
    ), status


@bp.route("/availability", methods=["GET", "POST"])
@role_required("coach")
def availability() -> ResponseReturnValue:
    coach = _coach()
    if request.method == "POST":
        form = {f"windows_{day}": request.form.get(f"windows_{day}", "") for day, _ in WEEKDAY_NAMES}
        try:
            self_service.set_weekly_availability(db_session(), coach, windows_text(form))
        except InvalidInput as exc:
            return _render_availability(coach, form, exc.fields, 422)
        flash("Your weekly availability is saved.", "success")
        return redirect(url_for("coach.availability"), code=303)
    return _render_availability(coach, windows_fields(self_service.weekly_windows(coach)), {})


@bp.post("/availability/exceptions")
@role_required("coach")
def add_exception() -> ResponseReturnValue:
    coach = _coach()
    data = {key: request.form.get(key, "") for key in ("date", "available", "start", "end")}
    try:
        self_service.add_exception(db_session(), coach, data)
    except InvalidInput as exc:
        weekly = windows_fields(self_service.weekly_windows(coach))
        return _render_availability(coach, weekly, exc.fields, 422, exception_form=data)
    flash(f"The exception for {data['date']} is saved.", "success")
    return redirect(url_for("coach.availability"), code=303)


@bp.post("/availability/exceptions/<int:exception_id>/delete")
@role_required("coach")
def remove_exception(exception_id: int) -> ResponseReturnValue:
    self_service.remove_exception(db_session(), _coach(), exception_id)
    flash("The exception is removed.", "success")
    return redirect(url_for("coach.availability"), code=303)


@bp.route("/capacity", methods=["GET", "POST"])
@role_required("coach")
def capacity() -> ResponseReturnValue:
    coach = _coach()
    errors: dict[str, str] = {}
    form = {name: str(getattr(coach, name)) for name in self_service.CAPACITY_FIELDS}
    if request.method == "POST":
        form = {name: request.form.get(name, "") for name in self_service.CAPACITY_FIELDS}
        try:
            self_service.update_capacity(db_session(), coach, form)
        except InvalidInput as exc:
            errors = exc.fields
        else:
            flash("Your capacity is saved.", "success")
            return redirect(url_for("coach.capacity"), code=303)
    return render_template("coach/capacity.html", coach=coach, form=form, errors=errors), (422 if errors else 200)


@bp.get("/calendar-feed")
@role_required("coach")
def calendar_feed() -> ResponseReturnValue:
    coach = _coach()
    return render_template("coach/feed.html", coach=coach, feed_url=None, has_feed=coach.feed_token_hash is not None)


@bp.post("/calendar-feed")
@role_required("coach")
def new_calendar_feed() -> ResponseReturnValue:
    coach = _coach()
    token = feeds.issue_feed_token(db_session(), coach)
    # The token is shown once, now: only its hash is kept.
    feed_url = feeds.feed_url(current_app.config["SETTINGS"], token)
    return render_template("coach/feed.html", coach=coach, feed_url=feed_url, has_feed=True)


@bp.post("/calendar-feed/revoke")
@role_required("coach")
def revoke_calendar_feed() -> ResponseReturnValue:
    feeds.revoke_feed_token(db_session(), _coach())
    flash("Your calendar feed link no longer works.", "success")
    return redirect(url_for("coach.calendar_feed"), code=303)


@feeds_bp.get("/feeds/<token>.ics")
def coach_feed(token: str) -> ResponseReturnValue:
    db = db_session()
    coach = feeds.coach_for_feed_token(db, token)
    body = feeds.coach_feed(db, coach, current_app.config["SETTINGS"])
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="coaching.ics"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/api-token")
@role_required("coach")
def api_token() -> ResponseReturnValue:
    return api_token_pages.show("coach/api_token.html")


@bp.post("/api-token")
@role_required("coach")
def issue_api_token() -> ResponseReturnValue:
    return api_token_pages.issue("coach/api_token.html")


@bp.post("/api-token/revoke")
@role_required("coach")
def revoke_api_token() -> ResponseReturnValue:
    return api_token_pages.revoke("coach.api_token")
