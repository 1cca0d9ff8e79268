"""Platform core: health check, language switch, error pages, template helpers."""

from flask import Blueprint

bp = Blueprint("core", __name__, template_folder="templates")

from . import models, routes  # noqa: E402,F401
from .errors import init_app as _init_errors  # noqa: E402


def init_app(app):
    from . import cli, health  # noqa: F401  (health: the worker's heartbeat task)

    _init_errors(app)
    cli.init_app(app)
    from . import assets

    assets.init_app(app)

    from flask_babel import format_date, format_datetime

    app.add_template_filter(lambda value: format_date(value, "medium") if value else "", "format_date")
    from .mail import salutation
    from .urls import external_url

    app.add_template_global(external_url, "external_url")  # links people copy and share: from BASE_URL
    app.add_template_global(salutation, "salutation")  # a name in a mail only for confirmed addresses
    app.add_template_filter(lambda value: format_datetime(value, "short") if value else "", "format_datetime")

    @app.context_processor
    def inject_helpers():
        from flask import g
        from flask_babel import get_locale

        return {"current_club": g.get("club"), "current_membership": g.get("membership"), "locale": get_locale()}


def audit_record(action, *, actor=None, club=None, **details):
    """Shortcut for :func:`app.core.models.record` (avoids import cycles)."""
    from .models import record

    return record(action, actor=actor, club=club, **details)
