"""Videokonferenzen – the workspace panel (filled by its own issue)."""

from ..core.tenancy import club_blueprint

bp = club_blueprint("meetings", __name__, "/konferenzen")

from . import routes  # noqa: E402,F401
