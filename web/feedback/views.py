"""Feedback by private link (no sign-in: the link is the credential) and coaches' private notes."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from scheduler.services.coaches import self_service
from scheduler.services.errors import InvalidInput
from scheduler.services.feedback import operations as feedback
from web.security import role_required
from web.unit_of_work import db_session

bp = Blueprint("feedback", __name__)

LABELS = {"rating": "Your rating", "would_recommend": "Would you recommend it", "comment": "Anything to add"}


@bp.route("/feedback/<token>", methods=["GET", "POST"])
def give(token: str) -> ResponseReturnValue:
    db = db_session()
    form = feedback.feedback_for_link(db, token)
    errors: dict[str, str] = {}
    values = {"rating": "", "would_recommend": "", "comment": ""}
    if request.method == "POST" and form.submitted_at is None:
        values = {name: request.form.get(name, "") for name in values}
        try:
            feedback.submit_feedback(db, token, values)
        except InvalidInput as exc:
            errors = exc.fields
    return render_template(
        "feedback/give.html",
        token=token,
        form=form,
        values=values,
        errors=errors,
        labels=LABELS,
        name=feedback.coachee_name_for(db, form),
        comment_max=feedback.COMMENT_MAX,
    )


@bp.route("/coach/sessions/<int:session_id>/note", methods=["GET", "POST"])
@role_required("coach")
def note(session_id: int) -> ResponseReturnValue:
    db = db_session()
    coach = self_service.coach_for_user(db, current_user.id)
    errors: dict[str, str] = {}
    text = feedback.note_for(db, coach.id, session_id)
    if request.method == "POST":
        text = request.form.get("note", "")
        try:
            feedback.save_note(db, coach.id, session_id, text)
        except InvalidInput as exc:
            errors = exc.fields
        else:
            flash("Your private note is saved.", "success")
            return redirect(url_for("feedback.note", session_id=session_id), code=303)
    return render_template("feedback/note.html", text=text, errors=errors, session_id=session_id, note_max=feedback.NOTE_MAX)
