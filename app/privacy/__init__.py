"""Datenschutz-Selbstcheck – checklist, score, action plan, report, reminders."""

from ..core.cli import register_backup_dir, register_content_sync
from ..core.tenancy import club_blueprint

bp = club_blueprint("privacy", __name__, "/datenschutz")

from . import cli, content, evidence, models, personal_data, routes  # noqa: E402,F401  (the views register on bp)


def init_app(app):
    personal_data.register()  # app/dataprotection/registry.py
    app.cli.add_command(cli.privacy_cli)
    register_content_sync(app, "privacy", content.sync)
    register_backup_dir(app, "nachweise", evidence.evidence_dir)  # uploaded evidence belongs with the database
    app.add_template_global(routes.score_bars, "score_bars")
