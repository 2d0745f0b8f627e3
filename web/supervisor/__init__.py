"""The supervisor's pages: queue, solve, draft review, load, calendar, supervision, coaches, settings."""

from web.supervisor.views import bp

__all__ = ["bp"]
