"""Give the load scenario people to act as: one password for the supervisor and every coach,
and private status links for some requests. Run with the code under test first on the path.

    python prepare.py DATABASE_URL PASSWORD OUT.json
"""

from __future__ import annotations

import datetime as dt
import json
import sys

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from scheduler.db import Database
from scheduler.models import CoachingRequest, Role, User

try:  # the feature-package layout, then the flat one (so a baseline from before the move runs too)
    from scheduler.services.accounts.tokens import REQUEST_STATUS, issue_token
except ImportError:
    from scheduler.services.tokens import REQUEST_STATUS, issue_token  # type: ignore[no-redef]


def main(url: str, password: str, out: str) -> None:
    database = Database(url)
    with database.sessions() as db, db.begin():
        people = db.scalars(select(User).where(User.role.in_((Role.COACH.value, Role.SUPERVISOR.value)))).all()
        hashed = generate_password_hash(password)
        for user in people:
            user.password_hash = hashed
        tokens = [
            issue_token(db, REQUEST_STATUS, valid_for=dt.timedelta(days=30), request_id=request.id)
            for request in db.scalars(select(CoachingRequest).order_by(CoachingRequest.id).limit(40))
        ]
        fixtures = {
            "password": password,
            "coachs": [u.email for u in people if u.role == Role.COACH.value],
            "supervisors": [u.email for u in people if u.role == Role.SUPERVISOR.value],
            "status_tokens": tokens,
        }
    database.dispose()
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(fixtures, handle)


if __name__ == "__main__":
    main(*sys.argv[1:4])
