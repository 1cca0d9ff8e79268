"""The club workspace: one page that combines the domains' panels via htmx (the composition layer)."""

from ..core.tenancy import club_blueprint

bp = club_blueprint("workspace", __name__)

from . import routes  # noqa: E402,F401  (the views register on bp)
