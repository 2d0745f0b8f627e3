"""Attendance pages: the coach's ended sessions, and the follow-up e-mail's one-session link."""

from web.attendance.views import bp

__all__ = ["bp"]
