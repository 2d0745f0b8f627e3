"""A real IMAP server for the tests: Debian's Dovecot, started on a free port with its own folder.

`make mailserver` (part of `make test`) installs it; without it the IMAP tests skip with the
reason, except under CI=true, where they fail.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.scheduler.conftest import free_port
from tests.servers import in_ci

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


@dataclass
class ImapServer:
    host: str
    port: int
    user: str
    password: str

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        """Put a message into the mailbox as a mail server would."""
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        try:
            client.login(self.user, self.password)
            status, _ = client.append(folder, None, None, raw)
            assert status == "OK"
        finally:
            client.logout()

    def unseen(self, folder: str = "INBOX") -> int:
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        try:
            client.login(self.user, self.password)
            client.select(folder)
            _, found = client.uid("SEARCH", "UNSEEN")
            return len((found[0] or b"").split())
        finally:
            client.logout()


def _unavailable(reason: str) -> None:
    if in_ci():
        pytest.fail(f"{reason}, and CI=true requires the IMAP tests")
    pytest.skip(reason)


def _config(root: Path, port: int, user: str, password: str) -> Path:
    try:
        account = pwd.getpwnam("dovecot")
        uid, gid = account.pw_uid, account.pw_gid
    except KeyError:
        uid, gid = os.getuid(), os.getgid()
    (root / "users").write_text(f"{user}:{{PLAIN}}{password}\n")
    for name in ("run", "state", "mail", "home"):
        (root / name).mkdir(parents=True, exist_ok=True)
        os.chmod(root / name, 0o777)
    config = root / "dovecot.conf"
    config.write_text(f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
first_valid_uid = 1
first_valid_gid = 1
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
""")
    return config


@pytest.fixture
def imap_server() -> Iterator[ImapServer]:
    """Dovecot serving one mailbox (the organizer's) over plain IMAP on 127.0.0.1."""
    if not Path(DOVECOT).exists():
        _unavailable(f"{DOVECOT} is missing (make mailserver, or apt-get install dovecot-imapd)")
    if os.geteuid() != 0:
        _unavailable("Dovecot needs root to start here")
    # Dovecot's own users read the password file, so its folder (not pytest's 0700 one) must be
    # open to them; a short path, as its unix sockets live under base_dir (108 bytes at most).
    root = Path(tempfile.mkdtemp(prefix="dovecot-"))
    os.chmod(root, 0o755)
    port = free_port()
    server = ImapServer("127.0.0.1", port, "organiser@programme.example", "imap-test-password")
    config = _config(root, port, server.user, server.password)
    # Dovecot goes to the background; its output goes to a file (a pipe would stay open).
    with (root / "start.log").open("wb") as out:
        started = subprocess.run([DOVECOT, "-c", str(config)], stdout=out, stderr=subprocess.STDOUT, timeout=30,
                                 check=False)
    if started.returncode != 0:
        pytest.fail(f"dovecot did not start: {(root / 'start.log').read_text()[-800:]}")
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                imaplib.IMAP4(server.host, port, timeout=2).logout()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("dovecot did not answer:\n" + (root / "dovecot.log").read_text()[-2000:])
                time.sleep(0.1)
        yield server
    finally:
        subprocess.run(["doveadm", "-c", str(config), "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=30, check=False)
        shutil.rmtree(root, ignore_errors=True)
