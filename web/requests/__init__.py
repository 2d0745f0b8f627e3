"""Coachee pages: the request form, the confirmation, the private status page."""

from web.requests import privacy as _privacy  # noqa: F401  (adds the privacy pages to bp)
from web.requests.views import bp

__all__ = ["bp"]
