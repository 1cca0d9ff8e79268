"""``flask workshops purge | send-due``."""

import click
from flask.cli import with_appcontext

from . import services


def init_app(app):
    group = click.Group("workshops", help="Workshops.")

    @group.command("purge")
    @click.option("--dry-run", is_flag=True, help="Nur zählen, nichts löschen.")
    @with_appcontext
    def purge(dry_run):
        """Personendaten nach Ablauf der Frist löschen (WORKSHOP_RETENTION_DAYS)."""
        count = services.purge_expired_participants(dry_run=dry_run)
        click.echo(f"{count} Datensätze {'würden gelöscht' if dry_run else 'gelöscht'}.")

    @group.command("send-due")
    @with_appcontext
    def send_due():
        """Erinnerungen und Unterlagen-Links verschicken (idempotent)."""
        counts = services.send_due_mails()
        click.echo(", ".join(f"{key}: {value}" for key, value in counts.items()))

    app.cli.add_command(group)
