"""Videokonferenzen (BigBlueButton): rooms, one-click start and join, guests, recordings, scheduling."""

from flask import Blueprint

from ..core.tenancy import club_blueprint

bp = club_blueprint("meetings", __name__, "/konferenzen")
#: Public guest links ``/m/<token>`` (no club in the URL, no login).
guest_bp = Blueprint("meetings_guest", __name__, url_prefix="/m", template_folder="templates")

from . import models, routes  # noqa: E402,F401


def init_app(app):
    from . import personal_data

    personal_data.register()  # app/dataprotection/registry.py
    from . import signals

    app.register_blueprint(guest_bp)
    signals.connect()
    app.add_template_filter(_epoch_time, "meetings_time")
    app.add_template_filter(_epoch_datetime, "meetings_datetime")


def _epoch(seconds):
    from datetime import datetime, timezone

    return datetime.fromtimestamp(float(seconds), timezone.utc)


def _epoch_time(seconds) -> str:
    from flask_babel import format_time

    return format_time(_epoch(seconds), "HH:mm") if seconds else ""


def _epoch_datetime(seconds) -> str:
    from flask_babel import format_datetime

    return format_datetime(_epoch(seconds), "short") if seconds else ""
