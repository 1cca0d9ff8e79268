"""Public pages: start page, Leichte Sprache, accessibility statement, privacy policy, services.

The texts live in the database (Markdown) so staff can edit them under
/admin/seiten; the shipped defaults in ``content/`` are loaded by
``flask content-sync`` and never overwrite what staff edited.
"""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from ..core.cli import register_content_sync
from ..core.nav import register_staff_nav

bp = Blueprint("pages", __name__, template_folder="templates")
admin_bp = Blueprint("pages_admin", __name__, url_prefix="/admin/seiten", template_folder="templates")

from . import admin, models, personal_data, routes, services  # noqa: E402,F401  (views register on the blueprints)


def init_app(app):
    app.register_blueprint(admin_bp)
    personal_data.register()  # app/dataprotection/registry.py
    register_content_sync(app, "Seiten", services.sync_defaults)
    register_staff_nav(app, _l("Öffentliche Seiten"), "pages_admin.index", order=40, group="offers")
