"""Use cases. A web view, a CLI command and a Celery task all call these functions.

Services take an open SQLAlchemy `Session`, never commit (the edge does), and raise
the errors in `scheduler.services.errors` for anything the user can cause.

One package a feature, so a behaviour is found from the folder names: `requests`
(a coachee's request), `coaches`, `planning` (solve, review, steer, approve, supervise),
`messaging` (outbox and delivery), `accounts` (sign-in and private links), `programmes`.
`errors`, `fields` and `transitions` are shared by all of them.
"""
