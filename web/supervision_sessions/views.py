"""Group supervision: settings, plan, review and approve, record who came."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from scheduler.models import Programme, Supervisor, utcnow
from scheduler.services.errors import InvalidInput
from scheduler.services.programmes.current import current_programme
from scheduler.services.supervision_sessions import operations as supervision
from scheduler.services.supervision_sessions.models import SupervisionStatus
from web.security import role_required
from web.unit_of_work import db_session

bp = Blueprint("supervision_sessions", __name__, url_prefix="/supervisor/supervision-sessions")

LABELS = {
    "timezone": "Your timezone",
    "weekly": "When you can supervise",
    "session_minutes": "Session length (minutes)",
    "max_group_size": "Coaches per group at most",
}


def _context() -> tuple[Supervisor, Programme]:
    db = db_session()
    return supervision.supervisor_for_user(db, current_user.id), current_programme(db, current_app.config.get("PROGRAMME_ID"))


@bp.route("/", methods=["GET", "POST"])
@role_required("supervisor")
def index() -> ResponseReturnValue:
    db = db_session()
    supervisor, programme = _context()
    settings = supervision.settings_for(db, supervisor, programme)
    form = {
        "timezone": settings.timezone,
        "weekly": supervision.weekly_text(settings),
        "session_minutes": settings.session_minutes,
        "max_group_size": settings.max_group_size,
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = {name: request.form.get(name, "") for name in LABELS}
        try:
            supervision.save_settings(db, supervisor, programme, form)
        except InvalidInput as exc:
            errors = exc.fields
        else:
            flash("Your supervision settings are saved.", "success")
            return redirect(url_for("supervision_sessions.index"), code=303)
    proposed = supervision.sessions_of(db, supervisor, SupervisionStatus.PROPOSED)
    approved = supervision.sessions_of(db, supervisor, SupervisionStatus.APPROVED)
    now = utcnow()
    return render_template(
        "supervision_sessions/index.html",
        form=form,
        errors=errors,
        labels=LABELS,
        proposed=proposed,
        upcoming=[s for s in approved if s.start_utc >= now],
        past=[s for s in approved if s.start_utc < now],
        names=supervision.coach_names(db, proposed + approved),
        tz=settings.timezone,
    )


@bp.post("/plan")
@role_required("supervisor")
def plan() -> ResponseReturnValue:
    supervisor, programme = _context()
    result = supervision.plan_supervision(db_session(), programme, supervisor, time_limit=5.0)
    flash(f"Proposed {len(result.sessions)} supervision session(s): review and approve them below.", "success")
    for coach, reasons in result.left_out:
        flash(f"{coach.name}: {'; '.join(reasons)}", "info")
    return redirect(url_for("supervision_sessions.index"), code=303)


@bp.post("/approve")
@role_required("supervisor")
def approve() -> ResponseReturnValue:
    supervisor, _ = _context()
    chosen = request.form.getlist("session_id")
    ids = supervision.coach_ids_from(chosen) if chosen else None
    approved = supervision.approve(db_session(), supervisor, ids)
    flash(f"Approved {len(approved)} session(s); the coaches are invited.", "success")
    return redirect(url_for("supervision_sessions.index"), code=303)


@bp.post("/<int:session_id>/attendance")
@role_required("supervisor")
def attendance(session_id: int) -> ResponseReturnValue:
    supervisor, _ = _context()
    came = supervision.coach_ids_from(request.form.getlist("attended"))
    supervision.record_attendance(db_session(), supervisor, session_id, came)
    flash("Attendance recorded: the coaches who came count their hours afresh.", "success")
    return redirect(url_for("supervision_sessions.index"), code=303)
