"""The Digitale Sprechstunde (consultation hour): dates, booked slots and a live same-day queue.

Blueprints: ``consultation`` (public and personal pages under /sprechstunde) and ``consultation_admin``
(staff pages under /admin/workshops/sprechstunde, next to the workshops).
"""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from ..core.cli import register_content_sync
from ..core.hooks import register_template_hook
from ..core.nav import register_staff_nav

bp = Blueprint("consultation", __name__, template_folder="templates")
admin_bp = Blueprint("consultation_admin", __name__, url_prefix="/admin/workshops", template_folder="templates")

from . import admin, cli, models, personal_data, routes, services  # noqa: E402,F401  (views register on the bps)


def init_app(app):
    app.config.setdefault("CONSULTATION_SLOT_MINUTES", 20)
    app.register_blueprint(admin_bp)
    personal_data.register()  # app/dataprotection/registry.py
    cli.init_app(app)
    register_content_sync(app, "Sprechstunde", services.ensure_default_schedule)
    register_template_hook(app, "start-page", routes.start_page_section, priority=20)
    register_template_hook(app, "workshops-panel", routes.workshops_panel_section)
    register_staff_nav(app, _l("Sprechstunde"), "consultation_admin.index", order=20, group="offers")
    register_staff_nav(app, _l("Warteschlange"), "consultation_admin.queue", order=30, group="offers")
