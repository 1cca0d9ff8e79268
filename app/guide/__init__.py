"""Leitfaden Mitgliederverwaltung – the workspace panel (filled by its own issue)."""

from ..core.tenancy import club_blueprint

bp = club_blueprint("guide", __name__, "/leitfaden")

from . import routes  # noqa: E402,F401
