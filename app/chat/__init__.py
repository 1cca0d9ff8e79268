"""Team-Chat: the club's linked Mattermost channel (link or provision, member sync, panel, notices).

Blueprints: ``chat`` (club-scoped, /c/<slug>/chat), ``chat_admin`` (staff, /admin/chat) and ``community``
(/community: the platform-wide community channel every confirmed user may join). The parts: ``linking``,
``provisioning``, ``notices``, ``community``, the sync ``queue``, the ``panel``; ``services`` holds what they share.
"""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from ..core.hooks import register_template_hook
from ..core.nav import register_staff_nav
from ..core.outbound import parse_networks
from ..core.tenancy import club_blueprint

bp = club_blueprint("chat", __name__, "/chat")
admin_bp = Blueprint("chat_admin", __name__, url_prefix="/admin/chat", template_folder="templates")
community_bp = Blueprint("community", __name__, url_prefix="/community", template_folder="templates")

# notices and provisioning register their op handlers with the queue when imported
from . import admin, cli, community, models, notices, personal_data, provisioning, routes, signals  # noqa: E402,F401


def init_app(app):
    parse_networks(app.config.get("OUTBOUND_ALLOWED_NETWORKS"))  # a typo stops the start, not a request
    app.register_blueprint(admin_bp)
    app.register_blueprint(community_bp)
    personal_data.register()  # app/dataprotection/registry.py
    signals.connect()
    cli.init_app(app)
    register_staff_nav(app, _l("Team-Chat"), "chat_admin.index", order=40)
    register_staff_nav(app, _l("Community-Kanal"), "chat_admin.community_members", order=41)
    register_template_hook(app, "account-settings", routes.account_section)
    register_template_hook(app, "workspace-home", routes.workspace_section, priority=60)
