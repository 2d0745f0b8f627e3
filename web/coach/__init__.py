"""Coach pages: sessions, engagements to answer, profile, availability, capacity, calendar feed."""

from web.coach.views import bp, feeds_bp

__all__ = ["bp", "feeds_bp"]
