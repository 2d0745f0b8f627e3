"""The web front end: coachees, coaches, the supervisor and the JSON API."""

from web.app import create_app

__all__ = ["create_app"]
