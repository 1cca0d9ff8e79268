"""Leitfaden Mitgliederverwaltung and knowledge base.

Three blueprints:
- ``guide`` (club-scoped, /c/<slug>/leitfaden): the workspace panel;
- ``handbook`` (public): /leitfaden/…, /wissen/…, /suche;
- ``content_admin`` (staff): /admin/inhalte – editor with preview, drafts,
  publishing, revisions and diffs.
"""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from ..core.cli import register_content_sync
from ..core.nav import register_staff_nav
from ..core.tenancy import club_blueprint
from ..extensions import db

bp = club_blueprint("guide", __name__, "/leitfaden")
handbook = Blueprint("handbook", __name__, url_prefix="", template_folder="templates")
content_admin = Blueprint("content_admin", __name__, url_prefix="/admin/inhalte", template_folder="templates")

from . import admin, models, personal_data, routes, search, services  # noqa: E402,F401  (views register on bps)


def init_app(app):
    app.register_blueprint(handbook)
    app.register_blueprint(content_admin)
    personal_data.register()  # app/dataprotection/registry.py
    register_content_sync(app, "Leitfaden & Wissen", services.sync_shipped_content)
    register_staff_nav(app, _l("Inhalte"), "content_admin.index", order=60, active=("content_admin.",))
    # The search index tables are made by migration 0200, not by models:
    # autogenerate and the models-vs-migrations test skip them (migrations/env.py).
    db.metadata.info.setdefault("unmanaged_table_prefixes", set()).update(search.UNMANAGED_TABLES)
