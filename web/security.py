"""Who is signed in, what each role may open, and the headers every response carries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response, abort, g
from flask_login import UserMixin, current_user

from scheduler.services.accounts import users
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


@dataclass(frozen=True)
class SignedInUser(UserMixin):  # type: ignore[misc]
    """The signed-in person as Flask-Login sees them (a snapshot, not an ORM object)."""

    id: int
    email: str
    role: str
    active: bool
    coach_id: int | None = None

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return str(self.id)


def _load_user(user_id: str) -> SignedInUser | None:
    try:
        account = users.get_account(db_session(), int(user_id))
    except (ValueError, users.NotFound):
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
    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if "Cache-Control" not in response.headers and response.mimetype == "text/html":
            # Pages show personal data and private links: keep them out of shared caches.
            response.headers["Cache-Control"] = "no-store"
        return response
