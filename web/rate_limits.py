"""Rate limits against abuse: the attacker is throttled (by client, and by client and account), never the account.

Every limit is declared here once and applied to its view with the decorators below. A
refused request gets 429 with Retry-After (web.errors). Sign-in counts only failed
attempts, so the real owner signing in from their own browser is never held up by
someone hammering their address from elsewhere.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, request
from flask_limiter.util import get_remote_address

from web.extensions import limiter

F = TypeVar("F", bound=Callable[..., Any])

SIGN_IN_PER_CLIENT = "30 per 15 minutes"
SIGN_IN_PER_CLIENT_AND_ACCOUNT = "5 per 15 minutes"
# Each accepted submission or new-link request sends e-mail: a handful an hour per address.
MAIL_PER_CLIENT = "20 per hour"
MAIL_PER_ADDRESS = "5 per hour"
API_CALLS = "600 per minute"


def _posted(name: str) -> str:
    """A field of the posted form or JSON object, normalised for counting (case, spaces)."""
    value: Any = request.form.get(name)
    if value is None and request.is_json:
        data = request.get_json(silent=True)
        value = data.get(name) if isinstance(data, dict) else None
    return str(value or "").strip().lower()[:254]


def _digest(value: str) -> str:
    # Keys live in the limiter's storage (Redis in production): no address or token in clear.
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _client_and_account() -> str:
    return f"{get_remote_address()}|{_digest(_posted('email'))}"


def _coachee_address() -> str:
    return _digest(_posted("coachee_email"))


def _api_token() -> str:
    _, _, token = request.headers.get("Authorization", "").partition(" ")
    return _digest(token.strip()) if token.strip() else get_remote_address()


def _failed(response: Response) -> bool:
    return response.status_code >= 400


def _accepted(response: Response) -> bool:
    return response.status_code < 400


def sign_in_limits(view: F) -> F:
    """Failed sign-ins per client, and per client and account."""
    view = limiter.limit(SIGN_IN_PER_CLIENT, methods=["POST"], deduct_when=_failed, scope="sign-in-client")(view)
    return limiter.limit(  # type: ignore[no-any-return]
        SIGN_IN_PER_CLIENT_AND_ACCOUNT,
        key_func=_client_and_account,
        methods=["POST"],
        deduct_when=_failed,
        scope="sign-in-account",
    )(view)


def mail_sending_limits(view: F) -> F:
    """Posts that send a coachee e-mail (form, API, new link), counted together: per client, and accepted ones per address."""
    view = limiter.shared_limit(MAIL_PER_CLIENT, scope="coachee-mail-client", methods=["POST"])(view)
    return limiter.shared_limit(  # type: ignore[no-any-return]
        MAIL_PER_ADDRESS,
        scope="coachee-mail-address",
        key_func=_coachee_address,
        methods=["POST"],
        deduct_when=_accepted,
    )(view)


def api_token_limit() -> Any:
    """Calls per API token (per client without one); applied to the API blueprint."""
    return limiter.limit(API_CALLS, key_func=_api_token, scope="api-token")
