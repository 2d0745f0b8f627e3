"""Where composed messages go: `file` (an .eml per message under MAIL_DIR) or `smtp`.

Backends raise `TransientSendError` for what may work later (SMTP 4xx), its subclass
`ServerUnavailable` when the server cannot be reached at all (connection refused or
dropped, timeouts: the outbox pauses as a whole), and `PermanentSendError` for what will
not work (SMTP 5xx for that message); the delivery service retries the first two and
marks the message failed on the third. Error texts name the SMTP code and class, never
an address.
"""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Protocol

from config.settings import Settings

IDLE_CHECK_SECONDS = 2.0


class SendError(Exception):
    """A message could not be handed over."""


class TransientSendError(SendError):
    """Worth trying again later."""


class ServerUnavailable(TransientSendError):
    """The server cannot be reached or dropped the connection: nothing will go until it answers."""


class PermanentSendError(SendError):
    """Will not work by trying again (the address or the message is refused)."""


class MailBackend(Protocol):
    def send(self, message: bytes, *, sender: str, recipients: list[str], message_id: str) -> None: ...

    def probe(self) -> None: ...

    def close(self) -> None: ...


class FileBackend:
    """Writes each message to `<mail_dir>/<message-id>.eml`, atomically.

    The file name comes from the Message-ID alone, so sending the same message again
    replaces the file rather than adding a second one.
    """

    def __init__(self, mail_dir: str | Path) -> None:
        self.mail_dir = Path(mail_dir)

    def send(self, message: bytes, *, sender: str, recipients: list[str], message_id: str) -> None:
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        name = message_id.strip("<>").split("@", 1)[0] + ".eml"
        fd, tmp = tempfile.mkstemp(dir=self.mail_dir, prefix=".tmp-", suffix=".eml")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(message)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.mail_dir / name)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise ServerUnavailable(f"could not write the message file: {exc.strerror}") from exc

    def probe(self) -> None:
        """Whether messages could be written now (raises `ServerUnavailable` if not)."""
        try:
            self.mail_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ServerUnavailable(f"could not create the mail folder: {exc.strerror}") from exc

    def close(self) -> None:
        pass

    def __enter__(self) -> FileBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _smtp_error(exc: Exception) -> SendError:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in exc.recipients.values()})
        text = f"recipient refused (SMTP {', '.join(map(str, codes))})"
        return PermanentSendError(text) if all(500 <= c < 600 for c in codes) else TransientSendError(text)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        # A wrong password is the operator's to fix; keep the messages until it is.
        return TransientSendError(f"SMTP authentication failed (SMTP {exc.smtp_code})")
    if isinstance(exc, smtplib.SMTPResponseException):
        text = f"{type(exc).__name__} (SMTP {exc.smtp_code})"
        return PermanentSendError(text) if 500 <= exc.smtp_code < 600 else TransientSendError(text)
    if isinstance(exc, smtplib.SMTPServerDisconnected | ConnectionError | socket.timeout | TimeoutError):
        return ServerUnavailable(f"SMTP connection lost: {type(exc).__name__}")
    if isinstance(exc, OSError | smtplib.SMTPException):
        return ServerUnavailable(f"SMTP unavailable: {type(exc).__name__}")
    return PermanentSendError(type(exc).__name__)


class SmtpBackend:
    """Sends over SMTP (plain, STARTTLS or implicit TLS), reusing one connection per batch.

    `connections` counts the connections opened (for the tests and the benchmark).
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: str = "none",
        user: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host, self.port, self.security = host, port, security
        self.user, self.password, self.timeout = user, password, timeout
        self.ssl_context = ssl_context or ssl.create_default_context()
        self._client: smtplib.SMTP | None = None
        self._last_used = 0.0
        self.connections = 0

    def _connect(self) -> smtplib.SMTP:
        client: smtplib.SMTP
        if self.security == "tls":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self.ssl_context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        self.connections += 1
        try:
            client.ehlo()
            if self.security == "starttls":
                client.starttls(context=self.ssl_context)
                client.ehlo()
            if self.user:
                client.login(self.user, self.password or "")
        except BaseException:
            client.close()
            raise
        return client

    def _ready(self) -> smtplib.SMTP:
        """The open connection (checked with NOOP) or a new one; `ServerUnavailable` if none can be had.

        Whatever goes wrong before a transaction starts (refused, greeting 4xx/5xx, TLS,
        sign-in) concerns the server, not a message: the outbox pauses until it answers.
        """
        if self._client is not None:
            # Within a batch messages follow each other: check a connection only after a pause
            # (a server may close an idle one), not with a round trip before every message.
            if time.monotonic() - self._last_used < IDLE_CHECK_SECONDS:
                return self._client
            try:
                self._client.noop()
                self._last_used = time.monotonic()
                return self._client
            except (smtplib.SMTPException, OSError):
                self._drop()
        try:
            self._client = self._connect()
        except Exception as exc:
            raise ServerUnavailable(str(_smtp_error(exc))) from exc
        self._last_used = time.monotonic()
        return self._client

    def send(self, message: bytes, *, sender: str, recipients: list[str], message_id: str) -> None:
        client = self._ready()
        try:
            client.sendmail(sender, recipients, message)
            self._last_used = time.monotonic()
        except Exception as exc:
            if not isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPSenderRefused):
                self._drop()
            else:
                self._reset()
            raise _smtp_error(exc) from exc

    def probe(self) -> None:
        """Connect (greet, sign in) or check the open connection; raise `ServerUnavailable` if not."""
        self._ready()

    def _reset(self) -> None:
        try:
            if self._client is not None:
                self._client.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            finally:
                self._client = None

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.quit()
            except (smtplib.SMTPException, OSError):
                pass
            finally:
                self._drop()

    def __enter__(self) -> SmtpBackend:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def make_backend(settings: Settings) -> FileBackend | SmtpBackend:
    """The backend `settings.mail_backend` names."""
    if settings.mail_backend == "smtp":
        return SmtpBackend(
            settings.smtp_host,
            settings.smtp_port,
            security=settings.smtp_security,
            user=settings.smtp_user,
            password=settings.smtp_password,
            timeout=settings.smtp_timeout,
        )
    return FileBackend(settings.mail_dir)
