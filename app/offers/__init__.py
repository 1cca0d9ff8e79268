"""The services catalogue ("Angebote"): the tools the platform offers, managed by staff, with live status.

Composition layer (like workspace and admin): the live status of BigBlueButton and Mattermost comes from
the meetings and chat domains. The public page /angebote (app.pages) shows the catalogue through the
template hook "page-angebote"; staff manage it under /admin/angebote.
"""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from ..core.cli import register_content_sync
from ..core.hooks import register_template_hook
from ..core.nav import register_staff_nav

bp = Blueprint("offers", __name__, url_prefix="/admin/angebote", template_folder="templates")

from . import models, routes, services  # noqa: E402,F401  (views register on bp)


def init_app(app):
    register_content_sync(app, "Angebote", services.ensure_default_offers)
    register_template_hook(app, "page-angebote", routes.catalogue_section)
    register_staff_nav(app, _l("Angebote"), "offers.index", order=42, group="offers")
