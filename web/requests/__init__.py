"""Coachee pages: the request form, the confirmation, the private status page."""

from web.requests.views import bp

__all__ = ["bp"]
