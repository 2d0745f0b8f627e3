"""The JSON API under /api/v1 (OpenAPI document at /api/v1/openapi.json)."""

from web.api.views import bp

__all__ = ["bp"]
