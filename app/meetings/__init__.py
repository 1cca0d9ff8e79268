"""Videokonferenzen (BigBlueButton): rooms, one-click start and join, guests, recordings, scheduling.

Blueprints: ``meetings`` (club-scoped, /c/<slug>/konferenzen) and ``meetings_guest`` (the public guest
links ``/m/<token>``: no club in the URL, no login).
"""

from flask import Blueprint

from ..core.hooks import register_template_hook
from ..core.tenancy import club_blueprint

bp = club_blueprint("meetings", __name__, "/konferenzen")
guest_bp = Blueprint("meetings_guest", __name__, url_prefix="/m", template_folder="templates")

from . import models, personal_data, routes, signals  # noqa: E402,F401  (the views register on the blueprints)


def init_app(app):
    app.register_blueprint(guest_bp)
    personal_data.register()  # app/dataprotection/registry.py
    signals.connect()
    app.add_template_filter(routes.epoch_time, "meetings_time")
    app.add_template_filter(routes.epoch_datetime, "meetings_datetime")
    register_template_hook(app, "workspace-top", routes.workspace_banner, priority=10)
