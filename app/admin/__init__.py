"""Staff area: review and approve clubs (issue 7 extends it)."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

from . import routes  # noqa: E402,F401
