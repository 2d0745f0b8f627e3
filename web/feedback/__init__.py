"""The coachee's feedback form (private link) and the coach's private session notes."""

from web.feedback.views import bp

__all__ = ["bp"]
