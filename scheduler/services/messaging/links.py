"""Every link we send by e-mail, made in one place from BASE_URL.

The paths are the web app's (`web/`); scheduler may not import it, so they are written here
once and the web's routes are tested against them (tests/scheduler/test_letters.py).
"""

from __future__ import annotations

from config.settings import Settings


def _base(settings: Settings) -> str:
    return settings.base_url.rstrip("/")


def status_url(settings: Settings, token: str) -> str:
    """The coachee's private page: their request, sessions, moving and cancelling."""
    return f"{_base(settings)}/r/{token}"


def fresh_link_url(settings: Settings, public_ref: str) -> str:
    """Where a coachee's calendar items point: a page that e-mails a fresh private link (no secret in it)."""
    return f"{_base(settings)}/request/link/{public_ref}"


def privacy_url(settings: Settings) -> str:
    """The privacy page a mail rendered at erasure points to (the private link is gone by then)."""
    return f"{_base(settings)}/privacy"


def supervisor_queue_url(settings: Settings) -> str:
    """The supervisor's queue of requests (behind sign-in)."""
    return f"{_base(settings)}/supervisor/"


def reschedule_url(settings: Settings, token: str, session_id: int) -> str:
    """The coachee's page to ask for another time for one session (behind their private link)."""
    return f"{status_url(settings, token)}/sessions/{session_id}/reschedule"


def coach_sessions_url(settings: Settings) -> str:
    """The coach's own page of sessions (behind sign-in)."""
    return f"{_base(settings)}/coach/sessions"


def set_password_url(settings: Settings, token: str) -> str:
    """A new coach's single-use link to choose a password."""
    return f"{_base(settings)}/set-password/{token}"


def supervisor_calendar_url(settings: Settings) -> str:
    """The supervisor's calendar of the programme (behind sign-in)."""
    return f"{_base(settings)}/supervisor/calendar"
