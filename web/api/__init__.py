"""The JSON API under /api/v1 (OpenAPI document at /api/v1/openapi.json)."""

from web.api import people  # noqa: F401  (registers the coach and coachee endpoints on bp)
from web.api.views import bp

__all__ = ["bp"]
