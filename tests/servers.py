"""Real servers for the tests: use them where they answer; skip without them, fail without them in CI."""

from __future__ import annotations

import os
import socket

import pytest

POSTGRES = ("PostgreSQL", "127.0.0.1", 5432)
REDIS = ("Redis", "127.0.0.1", 6379)
RABBITMQ = ("RabbitMQ", "127.0.0.1", 5672)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def answers(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_server(server: tuple[str, str, int]) -> None:
    """Skip the test with a reason when the server is absent; fail instead when CI=true."""
    name, host, port = server
    if answers(host, port):
        return
    message = f"{name} does not answer on {host}:{port}"
    if in_ci():
        pytest.fail(f"{message}, and CI=true requires it")
    pytest.skip(message)
