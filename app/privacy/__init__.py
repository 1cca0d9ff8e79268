"""Datenschutz-Selbstcheck – the workspace panel (filled by its own issue)."""

from ..core.tenancy import club_blueprint

bp = club_blueprint("privacy", __name__, "/datenschutz")

from . import routes  # noqa: E402,F401
