"""Clubs as tenants: registration, members and roles, invitations.

Two blueprints: ``clubs`` for the platform-level pages (my clubs, register a
club, accept an invitation) and ``members`` for the club-scoped member
administration under ``/c/<slug>/mitglieder``.
"""

from flask import Blueprint

from ..core.tenancy import club_blueprint

bp = Blueprint("clubs", __name__, template_folder="templates")
members_bp = club_blueprint("members", __name__, "/mitglieder")

from . import models, routes  # noqa: E402,F401


def init_app(app):
    from ..core.tenancy import set_club_loader
    from . import cli, services, signals

    app.register_blueprint(members_bp)
    set_club_loader(app, services.club_and_membership)  # /c/<slug>/… becomes this club (core/tenancy.py)
    signals.connect()
    cli.init_app(app)
