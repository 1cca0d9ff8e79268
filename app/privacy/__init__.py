"""Datenschutz-Selbstcheck – checklist, score, action plan, report, reminders."""

from ..core.tenancy import club_blueprint

bp = club_blueprint("privacy", __name__, "/datenschutz")

from . import models, routes  # noqa: E402,F401


def init_app(app):
    from . import personal_data

    personal_data.register()  # app/dataprotection/registry.py
    from ..core.cli import register_content_sync
    from . import cli
    from .content import sync

    app.cli.add_command(cli.privacy_cli)
    register_content_sync(app, "privacy", sync)
