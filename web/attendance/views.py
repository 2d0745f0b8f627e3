"""A coach marks each ended session held, no-show or cancelled late.

The follow-up e-mail's link opens a page for that one session: the link is the credential
(no sign-in), it can mark that session and nothing else, and a click on an e-mail link
never changes anything by itself (mail scanners open links): the page's button does.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from scheduler.services.attendance import operations as attendance
from scheduler.services.coaches import self_service as coaches
from scheduler.services.errors import InvalidInput
from scheduler.services.supervision_sessions import queries as supervision_queries
from web.security import role_required
from web.unit_of_work import db_session

bp = Blueprint("attendance", __name__)


@bp.get("/coach/attendance")
@role_required("coach")
def ended() -> ResponseReturnValue:
    db = db_session()
    coach = coaches.coach_for_user(db, current_user.id)
    hours = supervision_queries.hours_since_supervision(db, [coach])[coach.id]
    return render_template(
        "attendance/ended.html",
        coach=coach,
        sessions=attendance.ended_sessions(db, coach.id),
        hours=hours,
        labels=attendance.OUTCOME_LABELS,
        tz=coach.timezone,
        grace_days=attendance.GRACE_DAYS,
    )


@bp.post("/coach/attendance/<int:session_id>")
@role_required("coach")
def mark(session_id: int) -> ResponseReturnValue:
    db = db_session()
    coach = coaches.coach_for_user(db, current_user.id)
    try:
        record = attendance.record_outcome(db, session_id, request.form.get("outcome", ""), coach_id=coach.id)
    except InvalidInput as exc:
        flash(f"{exc.message} {'; '.join(exc.fields.values())}", "error")
    else:
        flash(f"Recorded: {attendance.OUTCOME_LABELS[record.outcome]}.", "success")
    return redirect(url_for("attendance.ended"), code=303)


@bp.get("/attendance/<token>")
def by_link(token: str) -> ResponseReturnValue:
    session = attendance.session_for_link(db_session(), token)
    chosen = request.args.get("outcome", "held")
    return render_template(
        "attendance/link.html",
        session=session,
        token=token,
        chosen=chosen if chosen in attendance.OUTCOME_LABELS else "held",
        labels=attendance.OUTCOME_LABELS,
        tz=session.coach.timezone,
    )


@bp.post("/attendance/<token>")
def mark_by_link(token: str) -> ResponseReturnValue:
    record = attendance.record_by_link(db_session(), token, request.form.get("outcome", ""))
    return render_template(
        "attendance/link.html",
        session=attendance.session_for_link(db_session(), token),
        token=token,
        chosen=record.outcome,
        recorded=attendance.OUTCOME_LABELS[record.outcome],
        labels=attendance.OUTCOME_LABELS,
        tz=None,
    )
