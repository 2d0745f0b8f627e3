"""The supervisor manages coaches: invite, set level and supervisor, deactivate and reactivate.

Accounts, passwords and invitation tokens are `scheduler.services.accounts.users`'; coach
details are read by `roster.parse_coach_input` (the same rules as CSV import). An
invitation is an outbox INVITATION carrying the set-password token, sent by the outbox
worker like every other message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from scheduler.models import Coach, CoachingSession, Level, Programme, Role, Supervisor, User
from scheduler.queries import of_programme
from scheduler.services import audit
from scheduler.services.accounts import users
from scheduler.services.coaches import roster, self_service
from scheduler.services.errors import Conflict, InvalidInput, found
from scheduler.services.messaging import outbox
from scheduler.services.planning.drafts import withdraw_coach_drafts

LEVELS = [level.value for level in Level]


@dataclass(frozen=True)
class Invitation:
    coach: Coach
    user: User
    token: str  # only for the message: it is stored hashed

    @property
    def path(self) -> str:
        return f"/set-password/{self.token}"


def list_coaches(db: Session, programme: Programme) -> list[Coach]:
    return list(
        db.scalars(
            select(Coach)
            .where(Coach.programme_id == programme.id)
            .options(selectinload(Coach.supervisor))
            .order_by(Coach.active.desc(), Coach.name, Coach.id)
        )
    )


def list_supervisors(db: Session, programme: Programme) -> list[Supervisor]:
    return list(db.scalars(select(Supervisor).where(Supervisor.programme_id == programme.id).order_by(Supervisor.name)))


def get_coach(db: Session, programme: Programme, coach_id: int) -> Coach:
    return found(of_programme(db, Coach, programme, coach_id), f"There is no coach {coach_id} in this programme.")


def _supervisor(db: Session, programme: Programme, value: Any, errors: dict[str, str]) -> Supervisor | None:
    if value in (None, ""):
        return None
    supervisor = of_programme(db, Supervisor, programme, value)
    if supervisor is None:
        errors["supervisor_id"] = "is not a supervisor of this programme"
        return None
    return supervisor


def has_password(db: Session, coach: Coach) -> bool:
    user = db.get(User, coach.user_id) if coach.user_id else None
    return user is not None and user.password_hash is not None


def invite_coach(db: Session, programme: Programme, data: Mapping[str, Any]) -> Invitation:
    """A new coach with an account without a password, and an invitation to set one."""
    errors: dict[str, str] = {}
    values = dict(data)
    supervisor = _supervisor(db, programme, values.pop("supervisor_id", None), errors)
    values["supervisor_email"] = supervisor.email if supervisor else values.get("supervisor_email")
    try:
        clean = roster.parse_coach_input(db, programme, values)
    except InvalidInput as exc:
        errors.update(exc.fields)
        clean = {}
    if "supervisor_email" in errors:
        errors["supervisor_id"] = errors.pop("supervisor_email")
    email = str(values.get("email") or "").strip()
    if "email" not in errors and (
        db.scalar(select(User.id).where(func.lower(User.email) == email.lower())) is not None
        or db.scalar(select(Coach.id).where(func.lower(Coach.email) == email.lower())) is not None
    ):
        errors["email"] = "already has an account"
    if errors:
        raise InvalidInput("The coach was not invited: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors)
    user = users.create_user(db, clean["email"], Role.COACH)
    coach = roster.add_coach(db, programme, clean)
    coach.user_id = user.id
    token = users.invite_user(db, user)
    outbox.enqueue_coach_invitation(db, user.id, coach.email, coach.name, token)
    audit.record(db, audit.INVITE, coach, old=None, new=user.id)
    db.flush()
    return Invitation(coach, user, token)


def resend_invitation(db: Session, programme: Programme, coach_id: int) -> Invitation:
    """A fresh invitation (older ones stop working) for a coach who has not set a password yet."""
    coach = get_coach(db, programme, coach_id)
    user = db.get(User, coach.user_id) if coach.user_id else None
    if user is None:
        user = users.create_user(db, coach.email, Role.COACH)
        coach.user_id = user.id
    elif user.password_hash is not None:
        raise Conflict(f"{coach.name} has set a password already; they can sign in.")
    if not coach.active:
        raise Conflict(f"{coach.name} is deactivated; reactivate them first.")
    token = users.invite_user(db, user)
    outbox.enqueue_coach_invitation(db, user.id, coach.email, coach.name, token)
    db.flush()
    return Invitation(coach, user, token)


def set_level(db: Session, programme: Programme, coach_id: int, level: Any, supervisor_id: Any = None) -> Coach:
    """Set a coach's level and supervisor; a trainee needs a supervisor."""
    coach = get_coach(db, programme, coach_id)
    errors: dict[str, str] = {}
    level = str(level or "").strip().lower()
    if level not in LEVELS:
        errors["level"] = f"must be one of {', '.join(LEVELS)}"
    supervisor = _supervisor(db, programme, supervisor_id, errors)
    if level == Level.TRAINEE and supervisor is None and "supervisor_id" not in errors:
        errors["supervisor_id"] = "a trainee coach needs a supervisor"
    if errors:
        raise InvalidInput(f"{coach.name}'s level was not changed.", errors)
    old = {"level": coach.level, "supervisor_id": coach.supervisor_id}
    coach.level = level
    coach.supervisor_id = supervisor.id if supervisor else None
    db.flush()
    audit.record(db, audit.LEVEL, coach, old=old, new={"level": coach.level, "supervisor_id": coach.supervisor_id})
    return coach


def deactivate(db: Session, programme: Programme, coach_id: int) -> list[CoachingSession]:
    """The coach gets no new requests and cannot sign in; their drafts are withdrawn.

    Returns their upcoming scheduled sessions, which stay: the supervisor decides about them.
    """
    coach = get_coach(db, programme, coach_id)
    coach.active = False
    user = db.get(User, coach.user_id) if coach.user_id else None
    if user is not None:
        user.active = False
        users.revoke_api_token(db, user)
    withdraw_coach_drafts(db, coach.id)
    db.flush()
    audit.record(db, audit.DEACTIVATE, coach, old="active", new="inactive")
    return self_service.upcoming_sessions(db, coach)


def reactivate(db: Session, programme: Programme, coach_id: int) -> Coach:
    coach = get_coach(db, programme, coach_id)
    coach.active = True
    user = db.get(User, coach.user_id) if coach.user_id else None
    if user is not None:
        user.active = True
    db.flush()
    audit.record(db, audit.REACTIVATE, coach, old="inactive", new="active")
    return coach


__all__ = [
    "Invitation",
    "deactivate",
    "get_coach",
    "invite_coach",
    "list_coaches",
    "list_supervisors",
    "reactivate",
    "resend_invitation",
    "set_level",
]
