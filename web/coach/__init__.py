"""Coach pages: sessions, engagements to answer, profile, availability, capacity, calendar feed."""

from web.coach import place as _place  # noqa: F401  (its route joins `bp`)
from web.coach import privacy as _privacy  # noqa: F401  (adds the privacy pages to bp)
from web.coach.views import bp, feeds_bp

__all__ = ["bp", "feeds_bp"]
