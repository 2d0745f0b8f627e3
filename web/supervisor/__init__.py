"""The supervisor's pages: queue, solve, draft review, load, calendar, supervision, coaches, settings."""

from web.supervisor import outbox as _outbox  # noqa: F401  (its routes join `bp`)
from web.supervisor import place as _place  # noqa: F401
from web.supervisor import privacy as _privacy  # noqa: F401  (adds the privacy pages to bp)
from web.supervisor.views import bp

__all__ = ["bp"]
