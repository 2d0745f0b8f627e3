"""Settings: embedded defaults, environment overrides, production refuses to start without a secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError, load_config


def test_defaults_need_no_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "MAIL_BACKEND", "MAIL_DIR", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    settings = load_config("development")
    assert settings.database_url == f"sqlite:///{tmp_path / 'coaching.db'}"
    assert settings.celery_broker_url.startswith("sqla+sqlite:///")
    assert settings.mail_backend == "file" and settings.mail_dir == str(tmp_path / "mail")
    # The generated key is kept, so sessions survive a restart, and is not world-readable.
    assert load_config("development").secret_key == settings.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    monkeypatch.setenv("SMTP_PORT", "2525")
    monkeypatch.setenv("MAIL_BACKEND", "smtp")
    settings = load_config("development")
    assert settings.database_url.startswith("postgresql://")
    assert settings.smtp_port == 2525 and settings.mail_backend == "smtp"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SMTP_PORT": "twenty-five"}, "SMTP_PORT"),
        ({"MAIL_BACKEND": "fax"}, "MAIL_BACKEND"),
        ({"SMTP_SECURITY": "maybe"}, "SMTP_SECURITY"),
    ],
)
def test_bad_settings_name_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        load_config("development")


def test_production_requires_a_secret_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY: required in production"):
        load_config("production")
    assert not (tmp_path / "secret_key").exists()
