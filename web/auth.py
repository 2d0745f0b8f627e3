"""Signing in and out, and setting a password from an invitation."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user

from scheduler.services.accounts import users
from scheduler.services.errors import InvalidInput
from web.helpers import home_for
from web.security import signed_in_user
from web.unit_of_work import database, db_session

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never send someone on to another host after signing in."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(home_for(current_user.role))
    errors: dict[str, str] = {}
    email = request.form.get("email", "").strip()
    if request.method == "POST":
        password = request.form.get("password", "")
        if not email:
            errors["email"] = "is required"
        if not password:
            errors["password"] = "is required"  # noqa: S105 (a message, not a password)
        if not errors:
            account = users.authenticate(db_session(), email, password)
            if account is None:
                errors["password"] = "The e-mail address or password is not right."  # noqa: S105
                # This request rolls back (422), so the failure is counted in a unit of its own,
                # after ending this one (SQLite lets one transaction write at a time).
                db_session().rollback()
                with database().sessions() as counting, counting.begin():
                    users.record_failed_sign_in(counting, email)
            else:
                next_page = _safe_next(request.args.get("next"))
                session.clear()  # a fresh session on sign-in: no fixation
                login_user(signed_in_user(account))
                return redirect(next_page or home_for(account.user.role))
    status = 422 if errors else 200
    return render_template("auth/login.html", errors=errors, email=email), status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("home"))


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str) -> ResponseReturnValue:
    db = db_session()
    user = users.invitation_user(db, token)  # Forbidden page when the link is not valid
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            account = users.set_password_with_token(
                db, token, request.form.get("password", ""), request.form.get("confirm", "")
            )
        except InvalidInput as exc:
            errors = exc.fields
        else:
            session.clear()
            login_user(signed_in_user(account))
            flash("Your password is set and you are signed in.", "success")
            return redirect(home_for(account.user.role))
    status = 422 if errors else 200
    return render_template(
        "auth/set_password.html", errors=errors, email=user.email, minimum=users.MIN_PASSWORD_LENGTH
    ), status
