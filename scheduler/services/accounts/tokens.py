"""Private links: random tokens, stored only as SHA-256 hashes, single-purpose, expiring."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import AccessToken, utcnow
from scheduler.services.errors import Forbidden

REQUEST_STATUS = "request-status"
SET_PASSWORD = "set-password"  # noqa: S105 (a token purpose, not a password)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_secret() -> tuple[str, str]:
    """A fresh random token to hand out once, and the hash to keep in its place."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def set_secret(db: Session, row: object, column: str) -> str:
    """Keep a fresh token's hash in `row.column` (the old token stops working); the token, to show once."""
    token, digest = new_secret()
    setattr(row, column, digest)
    db.flush()
    return token


def issue_token(
    db: Session,
    purpose: str,
    *,
    valid_for: dt.timedelta,
    request_id: int | None = None,
    user_id: int | None = None,
) -> str:
    """A new token for `purpose`; only its hash is stored, so the caller must send it now."""
    token, digest = new_secret()
    db.add(
        AccessToken(
            token_hash=digest,
            purpose=purpose,
            request_id=request_id,
            user_id=user_id,
            expires_at=utcnow() + valid_for,
        )
    )
    db.flush()
    return token


def resolve_token(db: Session, token: str, purpose: str) -> AccessToken:
    """The live token record for `token` and `purpose`, or Forbidden (unknown, expired, revoked)."""
    record = db.scalar(select(AccessToken).where(AccessToken.token_hash == token_hash(token)))
    if record is None or record.purpose != purpose or record.revoked_at is not None:
        raise Forbidden("This link is not valid. Ask for a new one.")
    if record.expires_at <= utcnow():
        raise Forbidden("This link has expired. Ask for a new one.")
    return record


def revoke_tokens(db: Session, purpose: str, *, request_id: int | None = None, user_id: int | None = None) -> None:
    """Revoke every live token of that purpose for that request or user."""
    query = select(AccessToken).where(AccessToken.purpose == purpose, AccessToken.revoked_at.is_(None))
    if request_id is not None:
        query = query.where(AccessToken.request_id == request_id)
    if user_id is not None:
        query = query.where(AccessToken.user_id == user_id)
    for record in db.scalars(query):
        record.revoked_at = utcnow()
