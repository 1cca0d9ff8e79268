"""Platform CLI: content sync, backup and restore."""

import click
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import db
from . import pagecache
from .backup import BackupError, backup, backup_files, restore, restore_files


def register_content_sync(app, name: str, fn) -> None:
    """Domains register loaders of their shipped content (checklist, guide, …).

    ``flask content-sync`` (run by ``make run``) calls them in order; each must be
    idempotent and must never overwrite what staff edited.
    """
    app.extensions.setdefault("vereinsraum.content_sync", []).append((name, fn))


def register_backup_dir(app, label: str, directory) -> None:
    """Domains register directories of files that belong with the database (``directory()`` returns the path
    in an app context); ``flask backup`` and ``flask restore`` carry them beside the dump."""
    app.extensions.setdefault("vereinsraum.backup_dirs", {})[label] = directory


def _backup_dirs() -> dict[str, str]:
    return {label: fn() for label, fn in current_app.extensions.get("vereinsraum.backup_dirs", {}).items()}


def init_app(app):
    @app.cli.command("content-sync")
    @with_appcontext
    def content_sync_command():
        """Load the content shipped in the repository (idempotent)."""
        syncs = current_app.extensions.get("vereinsraum.content_sync", [])
        for name, fn in syncs:
            click.echo(f"{name}: {fn() or 'ok'}")
        if not syncs:
            click.echo("Keine Inhalte zu laden.")

    @app.cli.command("backup")
    @click.argument("target", type=click.Path(dir_okay=False))
    @with_appcontext
    def backup_command(target):
        """Back up the database to TARGET (pg_dump, or SQLite's online backup), and the files that belong with
        it (evidence on checklist items, …) to TARGET.dateien.tar."""
        try:
            kind = backup(
                current_app.config["SQLALCHEMY_DATABASE_URI"], target, pg_bin_dir=current_app.config.get("PG_BIN_DIR")
            )
            files = backup_files(_backup_dirs(), target)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Sicherung ({kind}) geschrieben: {target}")
        click.echo(f"Dateien ({files}) geschrieben: {target}.dateien.tar")

    @app.cli.command("restore")
    @click.argument("source", type=click.Path(exists=True, dir_okay=False))
    @click.option("--yes", is_flag=True, help="Ohne Rückfrage: der Inhalt der Datenbank wird ersetzt")
    @with_appcontext
    def restore_command(source, yes):
        """Replace the database's contents with the backup SOURCE (then run `flask db upgrade`)."""
        if not yes:
            click.confirm(
                "Alle Daten der konfigurierten Datenbank werden durch die Sicherung ersetzt. Weiter?", abort=True
            )
        db.session.remove()
        db.engine.dispose()
        try:
            kind = restore(
                current_app.config["SQLALCHEMY_DATABASE_URI"], source, pg_bin_dir=current_app.config.get("PG_BIN_DIR")
            )
            files = restore_files(_backup_dirs(), source)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        pagecache.renew([pagecache.SITE])  # no page stored before may be shown again (its tokens stayed)
        click.echo(f"Sicherung ({kind}) eingespielt aus {source}. Danach: flask db upgrade heads")
        if files is None:
            click.echo(f"Keine Dateien-Sicherung ({source}.dateien.tar) gefunden: die Dateien bleiben, wie sie sind.")
        else:
            click.echo(f"Dateien ({files}) eingespielt aus {source}.dateien.tar")
