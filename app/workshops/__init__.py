"""Workshops: dates with a limited number of places, registration with a waiting list, reminders.

Blueprints:
- ``workshops``: public and personal pages under /workshops,
- ``workshops_admin``: staff pages under /admin/workshops,
- ``workshops_club``: the lazy workspace section under /c/<slug>/workshops.
"""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from ..core.hooks import register_template_hook
from ..core.nav import register_staff_nav
from ..core.tenancy import club_blueprint

bp = Blueprint("workshops", __name__, template_folder="templates")
admin_bp = Blueprint("workshops_admin", __name__, url_prefix="/admin/workshops", template_folder="templates")
club_bp = club_blueprint("workshops_club", __name__, "/workshops")

from . import admin, cli, models, personal_data, routes  # noqa: E402,F401  (the views register on the blueprints)


def init_app(app):
    app.config.setdefault("WORKSHOP_REMINDER_HOURS", 24)
    app.register_blueprint(admin_bp)
    app.register_blueprint(club_bp)
    personal_data.register()  # app/dataprotection/registry.py
    cli.init_app(app)
    register_template_hook(app, "start-page", routes.start_page_section, priority=10)
    register_template_hook(app, "knowledge-article", routes.article_section)
    # Heads the staff pages of the public offers: workshops, the consultation hour and the public pages.
    register_staff_nav(
        app,
        _l("Workshops und Sprechstunde"),
        "workshops_admin.index",
        order=70,
        active=("workshops_admin.",),
        subnav="offers",
    )
    register_staff_nav(app, _l("Workshops"), "workshops_admin.index", order=10, group="offers")
