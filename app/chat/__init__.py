"""Team-Chat – the workspace panel (filled by its own issue)."""

from ..core.tenancy import club_blueprint

bp = club_blueprint("chat", __name__, "/chat")

from . import routes  # noqa: E402,F401
