"""Intervision rounds: the supervisor's pages and the public sign-up form."""

from web.intervision.views import bp

__all__ = ["bp"]
