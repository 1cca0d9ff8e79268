"""The club directory: clubs that choose to be listed, found by district and topic, contacted by relay.

Blueprints: ``directory`` (public pages under /vereine/verzeichnis), ``directory_club`` (the board's
listing settings under /c/<slug>/verzeichnis) and ``directory_admin`` (staff: the topic list under
/admin/verzeichnis). The workspace shows "Vereine in Ihrer Nähe" through the template hook
"workspace-home".
"""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from ..core.cli import register_content_sync
from ..core.hooks import register_template_hook
from ..core.nav import register_staff_nav
from ..core.tenancy import club_blueprint

bp = Blueprint("directory", __name__, template_folder="templates")
club_bp = club_blueprint("directory_club", __name__, "/verzeichnis")
admin_bp = Blueprint("directory_admin", __name__, url_prefix="/admin/verzeichnis", template_folder="templates")

from . import admin, models, personal_data, routes, services  # noqa: E402,F401  (views register on the bps)


def init_app(app):
    app.register_blueprint(club_bp)
    app.register_blueprint(admin_bp)
    personal_data.register()  # app/dataprotection/registry.py
    register_content_sync(app, "Vereinsverzeichnis", services.ensure_default_topics)
    register_template_hook(app, "workspace-home", routes.nearby_section)
    register_staff_nav(app, _l("Verzeichnis"), "directory_admin.topics", order=45)
