"""The audit log: who changed what, acting as what role, through which interface, and when.

The edge that opens a unit of work (web request, API call, CLI command, job) says who acts:
`db.info["actor"] = Actor(user_id, role, interface)` (or a function returning one, for an
edge that learns who is signed in only after the session opened). Use cases that change
state call `record(db, action, obj, old, new)` in the same transaction, so a change and
its entry commit or roll back together.

Entries hold references and codes only: ids, statuses, setting names and values of the
programme. Never a person's name, address, organisation or message: erasure then leaves
the log valid and the log never needs erasing. The table is append-only in the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from scheduler.db import Base
from scheduler.models import AuditEntry, Coach, CoachingRequest, CoachingSession, Engagement, User, utcnow
from scheduler.services.errors import InvalidInput

ACTOR_KEY = "actor"

# Actions recorded by the use cases (one name per kind of change).
APPROVE = "approve"
REASSIGN = "reassign"
PIN = "pin"
UNPIN = "unpin"
FORBID = "forbid"
ALLOW = "allow"
ACCEPT = "accept"
DECLINE = "decline"
CANCEL = "cancel"
RESCHEDULE = "reschedule"
ERASE = "erase"
CLOSE_ACCOUNT = "close-account"
SETTINGS = "settings"
EXPIRE = "expire"
ANONYMISE = "anonymise"
EXPORT = "export"
RETURN_TO_QUEUE = "return-to-queue"
INVITE = "invite"
SOLVE = "solve"
LEVEL = "level"
DEACTIVATE = "deactivate"
REACTIVATE = "reactivate"
PROFILE = "profile"  # a coach's own details: the names of the fields that changed, never their values


@dataclass(frozen=True)
class Actor:
    """Who acts in a unit of work: a signed-in user, a coachee (no account), a job or an operator."""

    user_id: int | None
    role: str  # supervisor | coach | coachee | job | operator
    interface: str  # web | api | cli | job


UNKNOWN = Actor(None, "unknown", "unknown")
JOB = Actor(None, "job", "job")
OPERATOR = Actor(None, "operator", "cli")

ActorSource = Actor | Callable[[], Actor]


def set_actor(db: Session, actor: ActorSource) -> None:
    """Say who acts in this unit of work (an Actor, or a function the log calls when it needs one)."""
    db.info[ACTOR_KEY] = actor


# The unit of work (`scheduler.unit_of_work.actor`) names an edge without a person as a dict
# with no role: a CLI command is the operator's, a task the job's.
_ROLE_OF_EDGE = {"cli": "operator", "task": "job", "web": "coachee"}
_INTERFACE_OF_EDGE = {"task": "job"}


def actor_of(db: Session) -> Actor:
    source = db.info.get(ACTOR_KEY)
    if source is None:
        return UNKNOWN
    if isinstance(source, dict):
        interface = str(source.get("interface") or "unknown")
        role = source.get("role") or _ROLE_OF_EDGE.get(interface, "unknown")
        user_id = source.get("user_id")
        return Actor(int(user_id) if user_id is not None else None, str(role), _INTERFACE_OF_EDGE.get(interface, interface))
    return source if isinstance(source, Actor) else source()


def _references(db: Session, obj: Base) -> tuple[int | None, int | None]:
    """(request id, coach id) an object is about, so a person's entries can be found."""
    if isinstance(obj, CoachingRequest):
        return obj.id, obj.pinned_coach_id
    if isinstance(obj, Engagement):
        return obj.request_id, obj.coach_id
    if isinstance(obj, CoachingSession):
        engagement = db.get(Engagement, obj.engagement_id)
        return (engagement.request_id if engagement else None), obj.coach_id
    if isinstance(obj, Coach):
        return None, obj.id
    if isinstance(obj, User):
        coach = db.scalar(select(Coach.id).where(Coach.user_id == obj.id))
        return None, coach
    return None, None


def record(
    db: Session,
    action: str,
    obj: Base,
    old: Any = None,
    new: Any = None,
    *,
    request_id: int | None = None,
    coach_id: int | None = None,
    at: dt.datetime | None = None,
) -> AuditEntry:
    """Append one entry for a change of `obj`; `old` and `new` must be codes or ids, not personal values."""
    actor = actor_of(db)
    about_request, about_coach = _references(db, obj)
    entry = AuditEntry(
        at=at or utcnow(),
        actor_user_id=actor.user_id,
        actor_role=actor.role,
        interface=actor.interface,
        action=action,
        object_type=type(obj).__tablename__,  # type: ignore[attr-defined]
        object_id=getattr(obj, "id", None),
        old=old,
        new=new,
        request_id=request_id if request_id is not None else about_request,
        coach_id=coach_id if coach_id is not None else about_coach,
    )
    db.add(entry)
    return entry


@dataclass(frozen=True)
class AuditFilter:
    """What the supervisor narrows the log to; every part optional."""

    actor_role: str | None = None
    actor_user_id: int | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: int | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None  # exclusive
    request_id: int | None = None
    coach_id: int | None = None


def _query(selection: AuditFilter) -> Select[tuple[AuditEntry]]:
    query = select(AuditEntry)
    for column, value in (
        (AuditEntry.actor_role, selection.actor_role),
        (AuditEntry.actor_user_id, selection.actor_user_id),
        (AuditEntry.action, selection.action),
        (AuditEntry.object_type, selection.object_type),
        (AuditEntry.object_id, selection.object_id),
        (AuditEntry.request_id, selection.request_id),
        (AuditEntry.coach_id, selection.coach_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if selection.since is not None:
        query = query.where(AuditEntry.at >= selection.since)
    if selection.until is not None:
        query = query.where(AuditEntry.at < selection.until)
    return query


def entries(db: Session, selection: AuditFilter | None = None, *, limit: int | None = None) -> Sequence[AuditEntry]:
    """Entries matching `selection` (all when None), newest first."""
    query = _query(selection or AuditFilter()).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return db.scalars(query).all()


def entries_about(db: Session, *, request_ids: Sequence[int] = (), coach_id: int | None = None,
                  user_id: int | None = None) -> Sequence[AuditEntry]:
    """Every entry about these requests or this coach, or made by this user, oldest first."""
    conditions = []
    if request_ids:
        conditions.append(AuditEntry.request_id.in_(list(request_ids)))
    if coach_id is not None:
        conditions.append(AuditEntry.coach_id == coach_id)
    if user_id is not None:
        conditions.append(AuditEntry.actor_user_id == user_id)
    if not conditions:
        return []
    return db.scalars(select(AuditEntry).where(or_(*conditions)).order_by(AuditEntry.at, AuditEntry.id)).all()


CSV_COLUMNS = ["at", "actor_role", "actor_user_id", "interface", "action", "object_type", "object_id",
               "old", "new", "request_id", "coach_id"]


def as_row(entry: AuditEntry) -> dict[str, Any]:
    """One entry as plain values (times in ISO 8601 UTC), for CSV and JSON."""
    return {
        "at": entry.at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "actor_role": entry.actor_role,
        "actor_user_id": entry.actor_user_id,
        "interface": entry.interface,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "old": entry.old,
        "new": entry.new,
        "request_id": entry.request_id,
        "coach_id": entry.coach_id,
    }


ACTIONS = (APPROVE, REASSIGN, PIN, UNPIN, FORBID, ALLOW, ACCEPT, DECLINE, CANCEL, RESCHEDULE, ERASE, CLOSE_ACCOUNT,
           SETTINGS, EXPIRE, ANONYMISE, EXPORT, RETURN_TO_QUEUE, INVITE, LEVEL, DEACTIVATE, REACTIVATE, PROFILE, SOLVE)
ROLES = ("supervisor", "coach", "coachee", "job", "operator")
OBJECT_TYPES = ("coaching_request", "engagement", "coaching_session", "coach", "user_account", "programme", "solve_run")


def _whole(value: str, name: str, errors: dict[str, str]) -> int | None:
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) <= 2**31 - 1:
        errors[name] = "must be a whole number (an id)"
        return None
    return int(value)


def _day(value: str, name: str, errors: dict[str, str]) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors[name] = "must be a date YYYY-MM-DD"
        return None


def parse_filter(args: dict[str, str]) -> AuditFilter:
    """An AuditFilter from a form's text values; InvalidInput names each bad one. Dates are UTC days, inclusive."""
    errors: dict[str, str] = {}
    values = {k: (args.get(k) or "").strip() for k in
              ("actor_role", "actor_user_id", "action", "object_type", "object_id", "since", "until")}
    for name, allowed in (("actor_role", ROLES), ("action", ACTIONS), ("object_type", OBJECT_TYPES)):
        if values[name] and values[name] not in allowed:
            errors[name] = f"must be one of {', '.join(allowed)}"
    since, until = _day(values["since"], "since", errors), _day(values["until"], "until", errors)
    if since and until and until < since:
        errors["until"] = "must not be before the first day"
    selection = AuditFilter(
        actor_role=values["actor_role"] or None,
        actor_user_id=_whole(values["actor_user_id"], "actor_user_id", errors),
        action=values["action"] or None,
        object_type=values["object_type"] or None,
        object_id=_whole(values["object_id"], "object_id", errors),
        since=dt.datetime.combine(since, dt.time(), dt.UTC) if since else None,
        until=dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), dt.UTC) if until else None,
    )
    if errors:
        raise InvalidInput("The filter has problems: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors)
    return selection
