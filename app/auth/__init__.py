"""Accounts: registration, confirmation, login, password reset, account settings."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/konto", template_folder="templates")

from . import models, routes  # noqa: E402,F401


def init_app(app):
    from ..extensions import login_manager
    from . import cli

    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    login_manager.unauthorized_handler(routes.unauthorized)
    cli.init_app(app)
