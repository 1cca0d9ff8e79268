"""The board's data-protection toolkit (issue 18): data-subject requests and the breach log.

Blueprint ``toolkit`` (club-scoped, /c/<slug>/werkzeuge), board only: requests and breaches hold personal
data of third parties. Platform staff see counts only (``services.request_counts``), never a request.
"""

from ..core.evidence import register_evidence
from ..core.tenancy import club_blueprint

bp = club_blueprint("toolkit", __name__, "/werkzeuge")

from . import models, personal_data, routes, services  # noqa: E402,F401  (the views register on the blueprint)


def init_app(app):
    # Closed data-subject requests are deleted after this many days (3 years: the usual limitation period
    # for claims, §§ 195, 199 BGB, in which the club may need to show that it answered).
    app.config.setdefault("TOOLKIT_REQUEST_RETENTION_DAYS", 3 * 365)
    personal_data.register()  # app/dataprotection/registry.py
    # the saved record of processing is the evidence of its checklist item (app/core/evidence.py)
    register_evidence(app, services.RECORD_ITEM, services.record_evidence)
