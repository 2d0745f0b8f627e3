"""Flask extensions shared by every blueprint (initialised in `create_app`)."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"
# Limits are declared where the abuse happens (web.rate_limits); storage comes from the
# settings (RATELIMIT_STORAGE_URI: memory:// or redis://...).
limiter = Limiter(key_func=get_remote_address)
