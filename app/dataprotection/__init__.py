"""Privacy of the platform itself: "Meine Daten", exports, deletion, club closure, retention.

Blueprints: ``dataprotection`` (/konto/meine-daten, /datenschutz/verarbeitung),
``clubdata`` (/c/<slug>/daten, board) and ``dataprotection_admin``
(/admin/datenschutz, staff). The registry of models with personal data is in
``registry.py``; retention periods in ``retention.py``.
"""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from ..core.nav import register_staff_nav
from ..core.tenancy import club_blueprint

bp = Blueprint("dataprotection", __name__, template_folder="templates")
club_bp = club_blueprint("clubdata", __name__, "/daten")
admin_bp = Blueprint("dataprotection_admin", __name__, url_prefix="/admin/datenschutz", template_folder="templates")

from . import admin, cli, models, personal_data, retention, routes, services, signals  # noqa: E402,F401


def init_app(app):
    retention.init_config(app)
    app.config.setdefault("DATA_EXPORT_DIR", None)
    app.config.setdefault("PRIVACY_CONTROLLER", None)
    app.register_blueprint(club_bp)
    app.register_blueprint(admin_bp)
    app.add_template_filter(services.author_label, "author_label")
    app.jinja_env.globals["dataprotection_facts"] = services.privacy_facts
    personal_data.register()  # the base domains' and our own models; the features declare theirs
    signals.connect()
    cli.init_app(app)
    register_staff_nav(app, _l("Schließungen"), "dataprotection_admin.closures_page", order=50)
