"""Clubs as tenants: registration, members and roles, invitations.

Two blueprints: ``clubs`` for the platform-level pages (my clubs, register a
club, accept an invitation) and ``members`` for the club-scoped member
administration under ``/c/<slug>/mitglieder``.
"""

from flask import Blueprint

from ..core.tenancy import club_blueprint, set_account_club_loader, set_club_loader

bp = Blueprint("clubs", __name__, template_folder="templates")
members_bp = club_blueprint("members", __name__, "/mitglieder")

from . import cli, models, routes, services, signals  # noqa: E402,F401  (the views register on the blueprints)


def init_app(app):
    app.register_blueprint(members_bp)
    set_club_loader(app, services.club_and_membership)  # /c/<slug>/… becomes this club (core/tenancy.py)
    set_account_club_loader(app, services.account_club_and_membership)  # … read with the account
    signals.connect()
    cli.init_app(app)
