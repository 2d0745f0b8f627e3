"""Settings objects per environment (defaults, testing, production).

Everything runs on embedded defaults (a SQLite file, a Celery transport that needs no
server, mail written to files) so a newcomer needs no server; environment variables
switch to PostgreSQL, Redis/RabbitMQ and SMTP for a real deployment.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """A setting is missing or has a value the service cannot use."""


def _var_dir() -> Path:
    return Path(os.environ.get("VAR_DIR", PROJECT_ROOT / "var")).resolve()


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _development_secret_key(var_dir: Path) -> str:
    """A random key generated once and kept under var/, so sessions survive restarts."""
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


@dataclass(frozen=True)
class Settings:
    """All settings of the service; build with `load_config`."""

    environment: str = "development"
    database_url: str = ""
    celery_broker_url: str = ""
    celery_result_backend: str | None = None
    celery_task_always_eager: bool = False
    mail_backend: str = "file"  # file | smtp
    mail_dir: str = ""
    mail_from: str = "coaching@programme.example"
    mail_from_name: str = "Coaching Programme"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_security: str = "none"  # none | starttls | tls
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_timeout: float = 30.0
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:5000"
    coachee_link_days: int = 60
    reminder_hours: int = 24
    solver_time_limit: float = 10.0
    solver_workers: int = 2
    celery_queue: str = "celery"
    # Solves run on their own queue, so a long solve never delays an invitation.
    solve_queue: str = "solve"
    # Outbox delivery (see docs/mail-delivery.md): a worker claims up to `outbox_batch_size`
    # messages and sends them over one connection; its claim lasts `outbox_lease_seconds`
    # (0: two SMTP timeouts) and is renewed before each message. A transient failure backs
    # off (exponential, capped, with jitter) and never fails a message; while the server
    # cannot be reached the outbox pauses and one probe per `outbox_probe_seconds` asks.
    outbox_batch_size: int = 25
    outbox_lease_seconds: float = 0.0
    outbox_retry_base_seconds: float = 30.0
    outbox_retry_max_seconds: float = 900.0
    outbox_probe_seconds: float = 30.0
    outbox_sweep_grace_seconds: float = 60.0
    outbox_sweep_seconds: float = 15.0
    # Calendar replies (iTIP REPLY): "none" (invitations say RSVP=FALSE and point to the
    # private link), "smtp" (`coaching inbound` listens) or "imap" (beat polls a mailbox).
    inbound_replies: str = "none"
    inbound_host: str = "127.0.0.1"
    inbound_port: int = 8025
    imap_host: str = "127.0.0.1"
    imap_port: int = 993
    imap_security: str = "tls"  # none | starttls | tls
    imap_user: str | None = None
    imap_password: str | None = None
    imap_folder: str = "INBOX"
    imap_poll_seconds: float = 60.0
    reminder_scan_seconds: float = 300.0
    # Hostile input and abuse: the largest body read (forms and JSON are small; 413 above),
    # the deepest JSON nesting (400 above), and how long a signed-in session may sit idle.
    max_body_bytes: int = 256 * 1024
    max_json_depth: int = 16
    session_idle_minutes: int = 30
    # Flask-Limiter's storage: in-memory per process by default; redis://... shares the
    # counts between gunicorn workers.
    rate_limit_storage_url: str = "memory://"
    rate_limits_enabled: bool = True
    # How many proxies in front set X-Forwarded-For/-Proto: rate limits key on the real
    # client, not on the proxy (0: clients connect directly).
    proxy_hops: int = 0
    # Privacy: closed requests that were served are anonymised this many months after their
    # last activity; requests closed without being served (cancelled, declined, expired)
    # sooner; a request left waiting this long expires. See docs/privacy.md.
    retention_months: int = 12
    retention_unserved_days: int = 90
    waiting_expiry_days: int = 180
    retention_scan_seconds: float = 3600.0
    backup_dir: str = ""
    testing: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def flask_mapping(self) -> dict[str, Any]:
        """The Flask config keys derived from these settings."""
        return {
            "SECRET_KEY": self.secret_key,
            "TESTING": self.testing,
            "WTF_CSRF_ENABLED": True,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.environment == "production",
            "MAX_CONTENT_LENGTH": self.max_body_bytes,
            "MAX_FORM_MEMORY_SIZE": self.max_body_bytes,
            "RATELIMIT_STORAGE_URI": self.rate_limit_storage_url,
            "RATELIMIT_ENABLED": self.rate_limits_enabled,
            "RATELIMIT_HEADERS_ENABLED": False,  # web.errors sets Retry-After on the 429 itself
            "SETTINGS": self,
            **self.extra,
        }


_ENV_VARS: dict[str, str] = {
    "DATABASE_URL": "database_url",
    "CELERY_BROKER_URL": "celery_broker_url",
    "CELERY_RESULT_BACKEND": "celery_result_backend",
    "MAIL_BACKEND": "mail_backend",
    "MAIL_DIR": "mail_dir",
    "MAIL_FROM": "mail_from",
    "MAIL_FROM_NAME": "mail_from_name",
    "SMTP_HOST": "smtp_host",
    "SMTP_PORT": "smtp_port",
    "SMTP_SECURITY": "smtp_security",
    "SMTP_USER": "smtp_user",
    "SMTP_PASSWORD": "smtp_password",
    "SECRET_KEY": "secret_key",
    "BASE_URL": "base_url",
    "COACHEE_LINK_DAYS": "coachee_link_days",
    "REMINDER_HOURS": "reminder_hours",
    "SOLVER_TIME_LIMIT": "solver_time_limit",
    "SOLVER_WORKERS": "solver_workers",
    "CELERY_TASK_ALWAYS_EAGER": "celery_task_always_eager",
    "CELERY_QUEUE": "celery_queue",
    "OUTBOX_BATCH_SIZE": "outbox_batch_size",
    "SOLVE_QUEUE": "solve_queue",
    "OUTBOX_LEASE_SECONDS": "outbox_lease_seconds",
    "OUTBOX_PROBE_SECONDS": "outbox_probe_seconds",
    "OUTBOX_RETRY_BASE_SECONDS": "outbox_retry_base_seconds",
    "OUTBOX_RETRY_MAX_SECONDS": "outbox_retry_max_seconds",
    "OUTBOX_SWEEP_GRACE_SECONDS": "outbox_sweep_grace_seconds",
    "OUTBOX_SWEEP_SECONDS": "outbox_sweep_seconds",
    "REMINDER_SCAN_SECONDS": "reminder_scan_seconds",
    "MAX_BODY_BYTES": "max_body_bytes",
    "MAX_JSON_DEPTH": "max_json_depth",
    "SESSION_IDLE_MINUTES": "session_idle_minutes",
    "RATE_LIMIT_STORAGE_URL": "rate_limit_storage_url",
    "RATE_LIMITS_ENABLED": "rate_limits_enabled",
    "PROXY_HOPS": "proxy_hops",
    "INBOUND_REPLIES": "inbound_replies",
    "INBOUND_HOST": "inbound_host",
    "INBOUND_PORT": "inbound_port",
    "IMAP_HOST": "imap_host",
    "IMAP_PORT": "imap_port",
    "IMAP_SECURITY": "imap_security",
    "IMAP_USER": "imap_user",
    "IMAP_PASSWORD": "imap_password",
    "IMAP_FOLDER": "imap_folder",
    "IMAP_POLL_SECONDS": "imap_poll_seconds",
    "RETENTION_MONTHS": "retention_months",
    "RETENTION_UNSERVED_DAYS": "retention_unserved_days",
    "WAITING_EXPIRY_DAYS": "waiting_expiry_days",
    "RETENTION_SCAN_SECONDS": "retention_scan_seconds",
    "BACKUP_DIR": "backup_dir",
}


def _coerce(name: str, raw: str) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            return _bool(raw)
    except ValueError as exc:
        env = next(k for k, v in _ENV_VARS.items() if v == name)
        raise ConfigError(f"{env}: {raw!r} is not a valid {kind}") from exc
    return raw


def _defaults(var_dir: Path) -> dict[str, Any]:
    return {
        "database_url": f"sqlite:///{var_dir / 'coaching.db'}",
        # kombu's SQLAlchemy transport on a SQLite file: a real queue with no server.
        "celery_broker_url": f"sqla+sqlite:///{var_dir / 'broker.db'}",
        "mail_dir": str(var_dir / "mail"),
        "backup_dir": str(var_dir / "backups"),
    }


def load_config(environment: str | None = None, **overrides: Any) -> Settings:
    """Settings for `environment` (APP_ENV, default development), then env vars, then overrides."""
    environment = environment or os.environ.get("APP_ENV", "development")
    if environment not in {"development", "testing", "production"}:
        raise ConfigError(f"APP_ENV: unknown environment {environment!r}")
    var_dir = _var_dir()
    values: dict[str, Any] = {"environment": environment, **_defaults(var_dir)}
    if environment == "testing":
        values.update(testing=True, celery_task_always_eager=False)
    for env, name in _ENV_VARS.items():
        if env in os.environ and os.environ[env] != "":
            values[name] = _coerce(name, os.environ[env])
    values.update(overrides)
    if not values.get("secret_key"):
        if environment == "production":
            raise ConfigError("SECRET_KEY: required in production")
        values["secret_key"] = _development_secret_key(var_dir)
    settings = Settings(**values)
    if settings.mail_backend not in {"file", "smtp"}:
        raise ConfigError(f"MAIL_BACKEND: must be 'file' or 'smtp', not {settings.mail_backend!r}")
    if settings.smtp_security not in {"none", "starttls", "tls"}:
        raise ConfigError(f"SMTP_SECURITY: must be 'none', 'starttls' or 'tls', not {settings.smtp_security!r}")
    if settings.imap_security not in {"none", "starttls", "tls"}:
        raise ConfigError(f"IMAP_SECURITY: must be 'none', 'starttls' or 'tls', not {settings.imap_security!r}")
    if settings.inbound_replies not in {"none", "smtp", "imap"}:
        raise ConfigError(f"INBOUND_REPLIES: must be 'none', 'smtp' or 'imap', not {settings.inbound_replies!r}")
    if settings.outbox_batch_size < 1:
        raise ConfigError("OUTBOX_BATCH_SIZE: must be at least 1")
    return settings
