"""The supervisor's group supervision pages."""

from web.supervision_sessions.views import bp

__all__ = ["bp"]
