"""A coach's own data: see or download it, close the account."""

from __future__ import annotations

from flask import current_app, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_login import logout_user

from scheduler.services.coaches.self_service import upcoming_sessions
from scheduler.services.privacy import erasure, export
from web.coach.views import _coach, bp
from web.data_export import export_response
from web.security import role_required
from web.unit_of_work import db_session


@bp.get("/my-data")
@role_required("coach")
def my_data(download: bool = False) -> ResponseReturnValue:
    data = export.coach_export(db_session(), _coach())
    return export_response(data, as_download=download, filename="my-coaching-data", title="Your data")


@bp.get("/my-data.json")
@role_required("coach")
def my_data_json() -> ResponseReturnValue:
    return my_data(download=True)


@bp.route("/close-account", methods=["GET", "POST"])
@role_required("coach")
def close_account() -> ResponseReturnValue:
    coach = _coach()
    errors: dict[str, str] = {}
    if request.method == "POST":
        if request.form.get("confirm") != "close":
            errors["confirm"] = "tick the box to confirm that your account should be closed"
        else:
            erasure.close_coach_account(db_session(), coach, current_app.config["SETTINGS"])
            logout_user()
            session.clear()
            return render_template("privacy/account_closed.html")
    upcoming = upcoming_sessions(db_session(), coach)
    return render_template("privacy/close_account.html", upcoming=upcoming, errors=errors), (422 if errors else 200)
