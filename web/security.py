"""Who is signed in, what each role may open, and the headers every response carries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response, abort
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


def role_required(*roles: str) -> Callable[[F], F]:
    """Signed in with one of `roles`, else the sign-in page (anonymous) or 403 (wrong role)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
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
