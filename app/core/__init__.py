"""Platform core: health check, language switch, error pages, template helpers.

The core knows no domain: it offers mechanisms (tenancy, htmx, mail, jobs, audit, signals, template
hooks, the staff navigation) that the domains use and register themselves with.
"""

from flask import Blueprint, g
from flask_babel import format_date, get_locale

bp = Blueprint("core", __name__, template_folder="templates")

from . import assets, audit, cli, errors, evidence, hooks, nav, pagecache, routes  # noqa: E402,F401  (audit: the model joins the metadata)
from .i18n import format_datetime_short  # noqa: E402
from .mail import salutation  # noqa: E402
from .urls import external_url  # noqa: E402


def init_app(app):
    errors.init_app(app)
    cli.init_app(app)
    assets.init_app(app)
    hooks.init_app(app)
    evidence.init_app(app)
    nav.init_app(app)
    pagecache.init_app(app)
    app.add_template_filter(lambda value: format_date(value, "medium") if value else "", "format_date")
    app.add_template_filter(format_datetime_short, "format_datetime")
    app.add_template_global(external_url, "external_url")  # links people copy and share: from BASE_URL
    app.add_template_global(salutation, "salutation")  # a name in a mail only for confirmed addresses

    @app.context_processor
    def inject_helpers():
        return {"current_club": g.get("club"), "current_membership": g.get("membership"), "locale": get_locale()}
