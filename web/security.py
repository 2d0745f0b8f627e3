"""Who is signed in, what each role may open, how long a session lives, and the headers every response carries."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response, abort, flash, g, request, session
from flask.json.provider import DefaultJSONProvider
from flask_login import UserMixin, current_user, logout_user
from werkzeug.exceptions import BadRequest

from scheduler.services.accounts import users
from scheduler.services.boundary import refuse_control_characters
from web.extensions import login_manager
from web.unit_of_work import db_session

# Only our own origin: no CDN, no inline script or style, no framing, no plugins.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Private links carry their token in the path: never hand it to another site.
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Production is served over HTTPS only: browsers must never try plain HTTP again for a year.
HSTS = "max-age=31536000; includeSubDomains"


@dataclass(frozen=True)
class SignedInUser(UserMixin):  # type: ignore[misc]
    """The signed-in person as Flask-Login sees them (a snapshot, not an ORM object)."""

    id: int
    email: str
    role: str
    active: bool
    coach_id: int | None = None
    session_version: int = 0

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        # Flask-Login keeps this in the session cookie: with the account's session version in
        # it, signing out or changing the password (which move the version on) ends every copy.
        return f"{self.id}:{self.session_version}"


def _load_user(session_id: str) -> SignedInUser | None:
    user_id, _, version = session_id.partition(":")
    try:
        account = users.get_account(db_session(), int(user_id))
    except (ValueError, users.NotFound):
        return None
    if str(account.user.session_version) != version:
        return None
    return signed_in_user(account)


login_manager.user_loader(_load_user)


def signed_in_user(account: users.Account) -> SignedInUser:
    return SignedInUser(
        id=account.user.id,
        email=account.user.email,
        role=account.user.role,
        active=account.user.active,
        coach_id=account.coach.id if account.coach is not None else None,
        session_version=account.user.session_version,
    )


F = TypeVar("F", bound=Callable[..., Any])


ONLY = {
    ("supervisor",): "Only the supervisor may do this.",
    ("coach",): "Only a coach may do this.",
}


def _acting_role() -> str | None:
    """The role of whoever calls: the API's bearer-token account, else the signed-in person."""
    account = g.get("api_account")
    if account is not None:
        # A coach's token acts for their coach record; an account without one is no coach here.
        return None if account.user.role == "coach" and account.coach is None else str(account.user.role)
    return str(current_user.role) if current_user.is_authenticated else None


def role_required(*roles: str) -> Callable[[F], F]:
    """One of `roles` acts (page session or API token), else the sign-in page (anonymous on a page) or 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            role = _acting_role()
            if role is None and g.get("api_account") is None and not current_user.is_authenticated:
                return login_manager.unauthorized()
            if role not in roles:
                abort(403, description=ONLY.get(roles, "You may not do this."))
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def init_security_headers(app: Flask) -> None:
    production = app.config["SETTINGS"].environment == "production"

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if production:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if "Cache-Control" not in response.headers and response.mimetype == "text/html":
            # Pages show personal data and private links: keep them out of shared caches.
            response.headers["Cache-Control"] = "no-store"
        return response


# How often the last-seen time is rewritten (a new cookie each request would be churn).
_SEEN_RESOLUTION_SECONDS = 60


def init_idle_timeout(app: Flask) -> None:
    """A signed-in session that sat idle longer than SESSION_IDLE_MINUTES is signed out."""
    idle_seconds = app.config["SETTINGS"].session_idle_minutes * 60

    @app.before_request
    def _idle() -> None:
        if "_user_id" not in session:
            return
        now = int(time.time())
        seen = session.get("seen")
        if isinstance(seen, int) and now - seen > idle_seconds:
            logout_user()
            session.clear()
            flash(f"You were signed out after {idle_seconds // 60} minutes without activity.", "info")
            return
        if not isinstance(seen, int) or now - seen >= _SEEN_RESOLUTION_SECONDS:
            session["seen"] = now


# Strings (with their escapes) never count towards nesting; brackets outside them do.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_JSON_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")


def json_depth(data: bytes) -> int:
    """How deeply arrays and objects nest in JSON text (a count, not a parse)."""
    deepest = depth = 0
    for byte in _JSON_NOT_BRACKET.sub(b"", _JSON_STRING.sub(b"", data)):
        if byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


class DepthLimitedJSON(DefaultJSONProvider):
    """JSON bodies nested deeper than MAX_JSON_DEPTH are refused (400) before Python recurses into them."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        limit = self._app.config["SETTINGS"].max_json_depth
        if json_depth(s.encode() if isinstance(s, str) else s) > limit:
            raise BadRequest(f"The JSON body nests arrays and objects more than {limit} levels deep.")
        return super().loads(s, **kwargs)


def init_form_character_policy(app: Flask) -> None:
    """Every form field is held to the input boundary's character policy before any view reads it.

    NUL and other control characters never reach a service or the database (PostgreSQL
    refuses NUL outright); line breaks only in the declared multi-line fields. The answer is
    a 422 page naming each field.
    """

    @app.before_request
    def _form_characters() -> None:
        if request.method in ("POST", "PUT", "PATCH") and request.mimetype in FORM_TYPES:
            refuse_control_characters(request.form.to_dict(flat=False))
