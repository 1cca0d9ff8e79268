"""Staff area: review and approve clubs, platform statistics, audit log, city-scale seeding.

The composition layer: it reads every domain's tables (club list, facts, statistics).
"""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from ..core.nav import register_staff_nav, set_staff_home

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

from . import cli, models, personal_data, report_views, routes, signals  # noqa: E402,F401  (the views register on bp)


def init_app(app):
    personal_data.register()  # app/dataprotection/registry.py
    cli.init_app(app)
    signals.connect()
    register_staff_nav(
        app,
        _l("Vereine"),
        "admin.clubs",
        order=10,
        active=("admin.clubs", "admin.club", "admin.set_status", "admin.answers"),
    )
    set_staff_home(app, "admin.clubs", status="pending")  # after login: the clubs waiting for review
    register_staff_nav(app, _l("Statistik"), "admin.statistics", order=20)
    register_staff_nav(app, _l("Protokoll"), "admin.audit", order=30)
    register_staff_nav(app, _l("Prüftermine"), "admin.review", order=65, active=("admin.review", "admin.mark_reviewed"))
    register_staff_nav(app, _l("Bericht"), "admin.report", order=25)
