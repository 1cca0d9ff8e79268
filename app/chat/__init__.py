"""Team-Chat: the club's linked Mattermost channel (link or provision, member sync, panel, notices)."""

from ..core.tenancy import club_blueprint

bp = club_blueprint("chat", __name__, "/chat")

from . import models, routes  # noqa: E402,F401


def init_app(app):
    from . import personal_data

    personal_data.register()  # app/dataprotection/registry.py
    from ..core.outbound import parse_networks
    from . import cli, signals
    from .admin import admin_bp

    parse_networks(app.config.get("OUTBOUND_ALLOWED_NETWORKS"))  # a typo stops the start, not a request

    app.register_blueprint(admin_bp)
    cli.init_app(app)
    signals.connect()
