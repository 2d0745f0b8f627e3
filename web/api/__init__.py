"""The JSON API under /api/v1 (OpenAPI document at /api/v1/openapi.json)."""

from web.api import coach_and_coachee  # noqa: F401  (registers the coach and coachee endpoints on bp)
from web.api.supervisor import bp

__all__ = ["bp"]
