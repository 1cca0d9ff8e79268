"""The processing agreement (Auftragsverarbeitungsvertrag, Art. 28 DSGVO) between each club and the operator.

Blueprints: ``agreements`` (/c/<slug>/avv: read for members, accept for the board, PDF) and
``agreements_admin`` (/admin/avv: which club accepted which version). The text is generated from the
settings ``AGREEMENT_*`` (services.py); the self-check item ``proc-avv`` shows the accepted agreement as
evidence through the core's evidence hook (app/core/evidence.py).
"""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from ..core.evidence import register_evidence
from ..core.nav import register_staff_nav
from ..core.tenancy import club_blueprint

bp = club_blueprint("agreements", __name__, "/avv")
admin_bp = Blueprint("agreements_admin", __name__, url_prefix="/admin/avv", template_folder="templates")

from . import admin, models, personal_data, routes, services  # noqa: E402,F401  (views register on the bps)

#: the self-check item about processing agreements (app/privacy/checklist.yaml)
EVIDENCE_ITEM = "proc-avv"


def init_app(app):
    # README "Alle Einstellungen"; meaning and defaults in services.DEFAULTS
    app.config.setdefault("AGREEMENT_OPERATOR_NAME", None)
    app.config.setdefault("AGREEMENT_OPERATOR_ADDRESS", None)
    app.config.setdefault("AGREEMENT_OPERATOR_CONTACT", None)
    app.config.setdefault("AGREEMENT_HOSTING_PROVIDER", None)
    app.config.setdefault("AGREEMENT_BBB_PROVIDER", None)
    app.config.setdefault("AGREEMENT_MATTERMOST_PROVIDER", None)
    app.config.setdefault("AGREEMENT_MAIL_PROVIDER", None)
    app.config.setdefault("AGREEMENT_TOMS_EXTRA", ())
    app.config.setdefault("AGREEMENT_BACKUP_DAYS", 30)
    app.register_blueprint(admin_bp)
    personal_data.register()  # app/dataprotection/registry.py
    register_evidence(app, EVIDENCE_ITEM, services.evidence)
    register_staff_nav(app, _l("Auftragsverarbeitung"), "agreements_admin.index", order=55)
