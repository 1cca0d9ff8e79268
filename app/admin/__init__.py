"""Staff area: review and approve clubs, platform statistics, audit log, city-scale seeding.

The composition layer: it reads every domain's tables (club list, facts, statistics).
"""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

from . import models, routes  # noqa: E402,F401


def init_app(app):
    from . import cli, personal_data

    personal_data.register()  # app/dataprotection/registry.py
    cli.init_app(app)
