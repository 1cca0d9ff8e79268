"""Workshops and the Digitale Sprechstunde (consultation hour with a live queue).

Blueprints:
- ``workshops``: public/user pages under /workshops and /sprechstunde,
- ``workshops_admin``: staff pages under /admin/workshops,
- ``workshops_club``: the lazy workspace section under /c/<slug>/workshops.
"""

from flask import Blueprint

from ..core.tenancy import club_blueprint

bp = Blueprint("workshops", __name__, template_folder="templates")
admin_bp = Blueprint("workshops_admin", __name__, url_prefix="/admin/workshops", template_folder="templates")
club_bp = club_blueprint("workshops_club", __name__, "/workshops")

from . import models, routes, routes_admin, routes_club  # noqa: E402,F401


def init_app(app):
    from . import personal_data

    personal_data.register()  # app/dataprotection/registry.py
    from . import cli

    app.config.setdefault("WORKSHOP_REMINDER_HOURS", 24)
    app.config.setdefault("CONSULTATION_SLOT_MINUTES", 20)
    app.register_blueprint(admin_bp)
    app.register_blueprint(club_bp)
    cli.init_app(app)

    from ..core.cli import register_content_sync
    from ..core.hooks import register_template_hook
    from .services import ensure_default_schedule

    register_content_sync(app, "Sprechstunde", ensure_default_schedule)
    register_template_hook(app, "start-page", routes.start_page_section, priority=10)
    register_template_hook(app, "start-page", routes.start_page_consultation, priority=20)
