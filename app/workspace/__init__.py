"""The club workspace: one page that combines the domain panels via htmx."""

from ..core.tenancy import club_blueprint

bp = club_blueprint("workspace", __name__)

from . import routes  # noqa: E402,F401
