"""The supervisor's pages. Every view asks a scheduler service; the unit of work commits."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from scheduler import queries
from scheduler.models import Coach, Level, Programme, SolveRun
from scheduler.services.coaches import staff
from scheduler.services.coaches.self_service import upcoming_sessions
from scheduler.services.errors import Conflict, InvalidInput
from scheduler.services.planning import adjustments, approval, review, solving, supervision
from scheduler.services.programmes import settings as programme_settings
from web import api_token_pages
from web.choices import LANGUAGE_NAMES
from web.helpers import current_programme
from web.security import role_required
from web.supervisor import load_chart
from web.supervisor.solve_runs import run_json
from web.unit_of_work import db_session

bp = Blueprint(
    "supervisor",
    __name__,
    url_prefix="/supervisor",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

SETTINGS_LABELS = {
    "name": "Programme name",
    "timezone": "Programme timezone",
    "horizon_start": "Horizon start",
    "horizon_end": "Horizon end",
    "session_minutes": "Session length (minutes)",
    "slot_minutes": "Time grid (minutes)",
    "min_notice_hours": "Notice (hours)",
    "min_gap_days": "Minimum days between sessions",
    "max_gap_days": "Maximum days between sessions",
    "topics": "Topics",
    "sensitive_topics": "Sensitive topics",
    "languages": "Languages",
    "max_hours_trainee": "Trainee: hours between supervisions",
    "max_hours_accredited": "Accredited: hours between supervisions",
    "max_hours_senior": "Senior: hours between supervisions",
    "capacity_over_time": "Coaches take new coachees as engagements end",
}
COACH_LABELS = {
    "name": "Name",
    "email": "E-mail address",
    "timezone": "Timezone",
    "languages": "Languages",
    "topics": "Topics",
    "level": "Level",
    "supervisor_id": "Supervisor",
    "organisation": "Organisation",
    "max_active_coachees": "Coachees at once",
    "max_sessions_per_week": "Sessions per week",
    "max_sessions_per_day": "Sessions per day",
    "buffer_minutes": "Buffer (minutes)",
    "availability": "Weekly availability",
}


@bp.before_request
@role_required("supervisor")
def _supervisors_only() -> None:
    """Every page here is the supervisor's: anonymous people sign in, coaches get 403."""


def _back(default: str) -> str:
    """Where a form wants to return to: one of our pages only."""
    target = request.form.get("next", "")
    return target if target.startswith("/supervisor/") and "//" not in target else url_for(default)


# --- queue and solving -----------------------------------------------------------------


@bp.get("/")
def index() -> ResponseReturnValue:
    prog = current_programme()
    db = db_session()
    return render_template(
        "supervisor/index.html",
        programme=prog,
        queue=review.request_queue(db, prog),
        run=solving.latest_run(db, prog),
        draft_count=queries.draft_count(db, prog),
        blocked=supervision.supervision_ledger(db, prog).blocked,
    )


@bp.post("/solve")
def solve() -> ResponseReturnValue:
    run = solving.queue_solve(db_session(), current_programme())
    return redirect(url_for("supervisor.solve_run", run_id=run.id), code=303)


def _run(run_id: int) -> SolveRun:
    return review.programme_run(db_session(), current_programme(), run_id)


@bp.get("/solve/<int:run_id>")
def solve_run(run_id: int) -> ResponseReturnValue:
    run = _run(run_id)
    return render_template("supervisor/solve.html", run=run, progress=run_json(run))


@bp.get("/solve/<int:run_id>/progress")
def solve_progress(run_id: int) -> ResponseReturnValue:
    response = jsonify(run_json(_run(run_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the draft: review, adjust, approve --------------------------------------------------


def coach_options(coaches: list[Coach]) -> dict[int | None, Markup]:
    """The <option>s of the draft's coach boxes, worded once for the page: every coach (key
    None) and, per coach, every other one. The page has a box for each assignment (without
    its own coach) and for each unserved request, all with the same coaches."""
    options = {
        coach.id: Markup('<option value="{}">{} ({}, {})</option>').format(
            coach.id, coach.name, coach.level, ", ".join(coach.languages)
        )
        for coach in coaches
    }
    others = {coach_id: Markup("").join(o for other, o in options.items() if other != coach_id) for coach_id in options}
    return {None: Markup("").join(options.values()), **others}


@bp.get("/draft")
def draft() -> ResponseReturnValue:
    prog = current_programme()
    db = db_session()
    return render_template(
        "supervisor/draft.html",
        programme=prog,
        review=review.draft_review(db, prog),
        coach_options=coach_options([c for c in staff.list_coaches(db, prog) if c.active]),
    )


@bp.post("/draft/approve")
def approve() -> ResponseReturnValue:
    prog = current_programme()
    if request.form.get("all"):
        chosen = None
    else:
        try:
            chosen = [int(value) for value in request.form.getlist("engagement_ids")]
        except ValueError:
            raise InvalidInput("Choose engagements by their check boxes.", {"engagement_ids": "must be ids"}) from None
        if not chosen:
            raise InvalidInput(
                "Nothing was approved.", {"engagement_ids": "tick at least one assignment, or approve all"}
            )
    approved = approval.approve(db_session(), prog, chosen)
    flash(f"Approved {len(approved)} engagement(s); invitations are on their way.", "success")
    return redirect(url_for("supervisor.draft"), code=303)


def _after_adjustment(message: str) -> ResponseReturnValue:
    """Keep the change, then re-solve if asked; a solve already running does not undo the change."""
    if request.form.get("resolve"):
        try:
            run = solving.queue_solve(db_session(), current_programme())
        except Conflict as exc:
            flash(f"{message} It is saved, but {exc.message}; then run the solver again.", "info")
            return redirect(_back("supervisor.draft"), code=303)
        flash(message + " Re-solving with the rest of the draft kept.", "success")
        return redirect(url_for("supervisor.solve_run", run_id=run.id), code=303)
    flash(message + " Run the solver to plan it again.", "success")
    return redirect(_back("supervisor.draft"), code=303)


def _coach_name(coach_id: object) -> str:
    return adjustments.programme_coach(db_session(), current_programme(), coach_id).name


@bp.post("/requests/<int:request_id>/pin")
def pin(request_id: int) -> ResponseReturnValue:
    item = adjustments.pin(db_session(), current_programme(), request_id, request.form.get("coach_id"))
    return _after_adjustment(f"{item.coachee_name}'s request is pinned to {_coach_name(item.pinned_coach_id)}.")


@bp.post("/requests/<int:request_id>/unpin")
def unpin(request_id: int) -> ResponseReturnValue:
    item = adjustments.unpin(db_session(), current_programme(), request_id)
    return _after_adjustment(f"{item.coachee_name}'s request is no longer pinned.")


@bp.post("/requests/<int:request_id>/forbid")
def forbid(request_id: int) -> ResponseReturnValue:
    coach_id = request.form.get("coach_id")
    item = adjustments.forbid(db_session(), current_programme(), request_id, coach_id)
    return _after_adjustment(f"{item.coachee_name}'s request will not go to {_coach_name(coach_id)}.")


@bp.post("/requests/<int:request_id>/allow")
def allow(request_id: int) -> ResponseReturnValue:
    coach_id = request.form.get("coach_id")
    item = adjustments.allow(db_session(), current_programme(), request_id, coach_id)
    return _after_adjustment(f"{item.coachee_name}'s request may go to {_coach_name(coach_id)} again.")


@bp.post("/requests/<int:request_id>/reassign")
def reassign(request_id: int) -> ResponseReturnValue:
    item = adjustments.reassign(db_session(), current_programme(), request_id, request.form.get("coach_id") or None)
    return _after_adjustment(f"{item.coachee_name}'s request is being reassigned.")


# --- load, calendar, supervision ---------------------------------------------------------


@bp.get("/load")
def load() -> ResponseReturnValue:
    prog = current_programme()
    drafts = request.args.get("drafts", "1") != "0"
    chart = supervision.coach_load(db_session(), prog, include_drafts=drafts)
    return render_template(
        "supervisor/load.html",
        programme=prog,
        chart=chart,
        panels=load_chart.panels(chart),
        drafts=drafts,
    )


def _calendar_args(prog: Programme) -> dict[str, Any]:
    return {
        "timezone": request.args.get("timezone") or prog.timezone,
        "start": request.args.get("start"),
        "days": request.args.get("days", "28"),
        "include_drafts": request.args.get("drafts") == "1",
    }


@bp.get("/calendar")
def calendar() -> ResponseReturnValue:
    prog = current_programme()
    args = _calendar_args(prog)
    return render_template(
        "supervisor/calendar.html",
        programme=prog,
        calendar=supervision.session_calendar(db_session(), prog, **args),
        drafts=args["include_drafts"],
        timedelta=dt.timedelta,
    )


@bp.get("/supervision")
def supervision_ledger() -> ResponseReturnValue:
    prog = current_programme()
    return render_template(
        "supervisor/supervision.html", programme=prog, ledger=supervision.supervision_ledger(db_session(), prog)
    )


# --- coaches -----------------------------------------------------------------------------


def _coaches_page(form: dict[str, Any], errors: dict[str, str], status: int = 200) -> ResponseReturnValue:
    prog = current_programme()
    db = db_session()
    coaches = staff.list_coaches(db, prog)
    return render_template(
        "supervisor/coaches.html",
        programme=prog,
        coaches=coaches,
        invited={c.id: staff.has_password(db, c) for c in coaches},
        supervisors=staff.list_supervisors(db, prog),
        levels=[level.value for level in Level],
        language_names=LANGUAGE_NAMES,
        form=form,
        errors=errors,
        labels=COACH_LABELS,
    ), status


@bp.get("/coaches")
def coaches() -> ResponseReturnValue:
    return _coaches_page({"level": Level.ACCREDITED, "timezone": current_programme().timezone, "topics": []}, {})


@bp.post("/coaches")
def invite_coach() -> ResponseReturnValue:
    form: dict[str, Any] = {key: request.form.get(key, "") for key in COACH_LABELS if key != "topics"}
    form["topics"] = request.form.getlist("topics")
    try:
        invitation = staff.invite_coach(db_session(), current_programme(), form)
    except InvalidInput as exc:
        return _coaches_page(form, exc.fields, 422)
    flash(f"{invitation.coach.name} is invited: an e-mail with a link to set a password is on its way.", "success")
    return redirect(url_for("supervisor.coaches"), code=303)


def _coach_page(coach_id: int, errors: dict[str, str]) -> str:
    prog = current_programme()
    db = db_session()
    item = staff.get_coach(db, prog, coach_id)
    ledger = supervision.supervision_ledger(db, prog)
    return render_template(
        "supervisor/coach.html",
        programme=prog,
        coach=item,
        line=next(line for line in ledger.coaches if line.coach.id == item.id),
        has_password=staff.has_password(db, item),
        upcoming=upcoming_sessions(db, item),
        supervisors=staff.list_supervisors(db, prog),
        levels=[level.value for level in Level],
        errors=errors,
    )


@bp.get("/coaches/<int:coach_id>")
def coach(coach_id: int) -> ResponseReturnValue:
    return _coach_page(coach_id, {})


@bp.post("/coaches/<int:coach_id>/level")
def coach_level(coach_id: int) -> ResponseReturnValue:
    db = db_session()
    try:
        item = staff.set_level(db, current_programme(), coach_id, request.form.get("level"), request.form.get("supervisor_id"))
    except InvalidInput as exc:
        db.rollback()
        return _coach_page(coach_id, exc.fields), 422
    flash(f"{item.name} is now {item.level}.", "success")
    return redirect(url_for("supervisor.coach", coach_id=coach_id), code=303)


@bp.post("/coaches/<int:coach_id>/deactivate")
def deactivate_coach(coach_id: int) -> ResponseReturnValue:
    upcoming = staff.deactivate(db_session(), current_programme(), coach_id)
    message = "The coach is deactivated and gets no new requests."
    if upcoming:
        message += f" They still have {len(upcoming)} upcoming session(s): reschedule or cancel them."
    flash(message, "success")
    return redirect(url_for("supervisor.coach", coach_id=coach_id), code=303)


@bp.post("/coaches/<int:coach_id>/reactivate")
def reactivate_coach(coach_id: int) -> ResponseReturnValue:
    item = staff.reactivate(db_session(), current_programme(), coach_id)
    flash(f"{item.name} is active again.", "success")
    return redirect(url_for("supervisor.coach", coach_id=coach_id), code=303)


@bp.post("/coaches/<int:coach_id>/invite")
def resend_invitation(coach_id: int) -> ResponseReturnValue:
    invitation = staff.resend_invitation(db_session(), current_programme(), coach_id)
    flash(f"A new invitation is on its way to {invitation.coach.email}; older links no longer work.", "success")
    return redirect(url_for("supervisor.coach", coach_id=coach_id), code=303)


# --- programme settings and API token ----------------------------------------------------


def _settings_form() -> dict[str, Any]:
    return {key: request.form.get(key, "") for key in programme_settings.EDITABLE}


@bp.route("/settings", methods=["GET", "POST"])
def settings() -> ResponseReturnValue:
    prog = current_programme()
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = _settings_form()
        try:
            programme_settings.update_settings(db_session(), prog, form)
        except InvalidInput as exc:
            errors = exc.fields
        else:
            flash("The programme's settings are saved.", "success")
            return redirect(url_for("supervisor.settings"), code=303)
    else:
        form = programme_settings.settings_of(prog)
        for key in ("topics", "sensitive_topics", "languages"):
            form[key] = ", ".join(form[key])
    return render_template(
        "supervisor/settings.html",
        programme=prog,
        form=form,
        errors=errors,
        labels=SETTINGS_LABELS,
    ), (422 if errors else 200)


@bp.get("/api-token")
def api_token() -> ResponseReturnValue:
    return api_token_pages.show("supervisor/api_token.html")


@bp.post("/api-token")
def issue_api_token() -> ResponseReturnValue:
    return api_token_pages.issue("supervisor/api_token.html")


@bp.post("/api-token/revoke")
def revoke_api_token() -> ResponseReturnValue:
    return api_token_pages.revoke("supervisor.api_token")
