"""Use cases. A web view, a CLI command and a Celery task all call these functions.

Services take an open SQLAlchemy `Session`, never commit (the edge does), and raise
the errors in `scheduler.services.errors` for anything the user can cause.
"""
