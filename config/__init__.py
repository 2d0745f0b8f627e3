"""Settings per environment (development, testing, production); env vars override."""

from config.settings import PROJECT_ROOT, ConfigError, Settings, load_config

__all__ = ["PROJECT_ROOT", "ConfigError", "Settings", "load_config"]
