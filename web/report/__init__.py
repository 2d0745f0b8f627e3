"""The programme report pages (supervisor only)."""

from web.report.views import bp

__all__ = ["bp"]
