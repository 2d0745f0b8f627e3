"""Coach pages: sessions, engagements to answer, profile, availability, capacity, calendar feed."""

from web.coach import place as _place  # noqa: F401  (its route joins `bp`)
from web.coach.views import bp, feeds_bp

blueprints = [bp, feeds_bp]

__all__ = ["blueprints", "bp"]
