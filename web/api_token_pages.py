"""The API-token page every signed-in role has: create (shown once), replace, revoke its own token."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from scheduler.models import User
from scheduler.services.accounts import users
from scheduler.services.errors import NotFound
from web.unit_of_work import db_session


def _me() -> User:
    user = db_session().get(User, current_user.id)
    if user is None:
        raise NotFound("Your account no longer exists.")
    return user


def show(template: str) -> ResponseReturnValue:
    return render_template(template, has_token=_me().api_token_hash is not None, token=None)


def issue(template: str) -> ResponseReturnValue:
    token = users.issue_api_token(db_session(), _me())
    # Shown once, on this response only: it is stored hashed.
    response = current_app.make_response(render_template(template, has_token=True, token=token))
    response.headers["Cache-Control"] = "no-store"
    return response


def revoke(page_endpoint: str) -> ResponseReturnValue:
    users.revoke_api_token(db_session(), _me())
    flash("Your API token is revoked.", "success")
    return redirect(url_for(page_endpoint), code=303)
