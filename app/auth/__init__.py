"""Accounts: registration, confirmation, login, password reset, account settings, account deletion."""

from flask import Blueprint

from ..core.tenancy import set_second_factor_enrolment
from ..extensions import login_manager

bp = Blueprint("auth", __name__, url_prefix="/konto", template_folder="templates")

from . import cli, models, routes, twofactor_routes  # noqa: E402,F401  (the views register on bp; models join the metadata)


def init_app(app):
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    login_manager.unauthorized_handler(routes.unauthorized)
    set_second_factor_enrolment(app, "auth.two_factor")  # where staff_required and the club loader send people
    cli.init_app(app)
