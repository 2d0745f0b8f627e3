"""People who sign in: users, password hashing, set-password invitations, API tokens."""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from scheduler.models import Coach, Role, Supervisor, User
from scheduler.services.accounts.tokens import (
    SET_PASSWORD,
    issue_token,
    resolve_token,
    revoke_tokens,
    set_secret,
    token_hash,
)
from scheduler.services.errors import InvalidInput, NotFound, found

__all__ = [
    "Account",
    "NotFound",
    "authenticate",
    "create_user",
    "get_account",
    "invite_user",
    "issue_api_token",
    "revoke_api_token",
    "set_password",
    "set_password_with_token",
    "user_for_api_token",
]

MIN_PASSWORD_LENGTH = 10
# werkzeug's default (scrypt). Tests may lower the cost; nothing else should.
PASSWORD_METHOD = "scrypt"  # noqa: S105 (a hashing method, not a password)
INVITATION_LIFETIME = dt.timedelta(days=14)
# Checked when the e-mail is unknown, so a wrong address costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


@dataclass(frozen=True)
class Account:
    """A user and the coach or supervisor record that belongs to them, if any."""

    user: User
    coach: Coach | None
    supervisor: Supervisor | None


def _account(db: Session, user: User) -> Account:
    coach = db.scalar(select(Coach).where(Coach.user_id == user.id))
    supervisor = db.scalar(select(Supervisor).where(Supervisor.user_id == user.id))
    return Account(user, coach, supervisor)


def get_account(db: Session, user_id: int) -> Account:
    """The account of user `user_id`, or NotFound."""
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user {user_id}.")
    return _account(db, user)


def _find_user(db: Session, email: str) -> User | None:
    return db.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def _check_password_rules(password: str, confirm: str | None) -> None:
    errors: dict[str, str] = {}
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = f"must be at least {MIN_PASSWORD_LENGTH} characters long"
    elif confirm is not None and not hmac.compare_digest(password, confirm):
        errors["confirm"] = "does not match the password"
    if errors:
        raise InvalidInput("The password cannot be used.", errors)


def create_user(db: Session, email: str, role: str, password: str | None = None) -> User:
    """A new user; without a password they sign in only after setting one via an invitation."""
    email = email.strip()
    errors: dict[str, str] = {}
    if "@" not in email:
        errors["email"] = "must be an e-mail address"
    elif _find_user(db, email) is not None:
        errors["email"] = "already has an account"
    if role not in {r.value for r in Role}:
        errors["role"] = "must be supervisor or coach"
    if errors:
        raise InvalidInput("The user cannot be created.", errors)
    user = User(email=email, role=role, active=True)
    if password is not None:
        _check_password_rules(password, None)
        user.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)
    db.add(user)
    db.flush()
    return user


def authenticate(db: Session, email: str, password: str) -> Account | None:
    """The account whose e-mail and password match and that is active, else None.

    Nothing about the account changes on a failure: a lock per account would let anyone
    lock the real owner out. Guessing is throttled per client at the edge instead.
    """
    user = _find_user(db, email)
    if user is None or user.password_hash is None:
        check_password_hash(_DUMMY_HASH, password)  # same time as a real check
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return _account(db, user)


def set_password(db: Session, user: User, password: str, confirm: str | None = None) -> None:
    """Give `user` a new password (rules checked, only the hash kept)."""
    _check_password_rules(password, confirm)
    user.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)
    end_sessions(db, user)


def invite_user(db: Session, user: User, *, valid_for: dt.timedelta = INVITATION_LIFETIME) -> str:
    """A single-use set-password token for `user`; older invitations stop working."""
    revoke_tokens(db, SET_PASSWORD, user_id=user.id)
    return issue_token(db, SET_PASSWORD, valid_for=valid_for, user_id=user.id)


def invitation_user(db: Session, token: str) -> User:
    """The user a live set-password token belongs to, or Forbidden."""
    record = resolve_token(db, token, SET_PASSWORD)
    return found(
        db.get(User, record.user_id) if record.user_id is not None else None,
        "This invitation belongs to no account.",
    )


def set_password_with_token(db: Session, token: str, password: str, confirm: str) -> Account:
    """Set the password of the invited user; the invitation is then used up."""
    user = invitation_user(db, token)
    set_password(db, user, password, confirm)
    revoke_tokens(db, SET_PASSWORD, user_id=user.id)
    return _account(db, user)


def issue_api_token(db: Session, user: User) -> str:
    """A new API token for `user` (replaces the old one); only its hash is kept."""
    return set_secret(db, user, "api_token_hash")


def revoke_api_token(db: Session, user: User) -> None:
    user.api_token_hash = None
    db.flush()


def user_for_api_token(db: Session, token: str) -> Account | None:
    """The active account holding API token `token`, else None."""
    if not token:
        return None
    user = db.scalar(select(User).where(User.api_token_hash == token_hash(token)))
    if user is None or not user.active:
        return None
    return _account(db, user)


def end_sessions(db: Session, user: User) -> None:
    """Every signed-in session of `user`, in any browser, stops working (sign-out, new password)."""
    user.session_version += 1
    db.flush()
