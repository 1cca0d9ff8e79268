"""``flask privacy sync | publish | send-reminders``."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from ..extensions import db
from .content import CONTENT_FILE, ContentError, _hash, publish, read_file, sync
from .models import ChecklistItem
from .reminders import send_reminders
from .services import current_version

privacy_cli = AppGroup("privacy", help="Datenschutz-Selbstcheck: Inhalte laden, Erinnerungen senden.")


@privacy_cli.command("sync")
def sync_command():
    """Lädt die mitgelieferte Checkliste, wenn noch keine da ist (idempotent)."""
    try:
        click.echo(sync())
    except ContentError as exc:
        raise click.ClickException(str(exc)) from exc


@privacy_cli.command("publish")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False), help="Andere YAML-Datei")
@click.option("--note", default=None, help="Kurze Beschreibung der Änderungen")
@click.option("--force", is_flag=True, help="Auch veröffentlichen, wenn sich nichts geändert hat")
def publish_command(path, note, force):
    """Veröffentlicht die Checkliste als neue Version (Antworten bleiben erhalten)."""
    data = read_file(path or CONTENT_FILE)
    version = current_version()
    if version is not None and version.content_hash == _hash(data) and not force:
        click.echo(f"Keine Änderungen gegenüber Version {version.number}.")
        return
    try:
        new = publish(data, note=note)
    except ContentError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    changed = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ChecklistItem)
        .where(ChecklistItem.version_id == new.id, ChecklistItem.change == "changed")
    )
    added = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ChecklistItem)
        .where(ChecklistItem.version_id == new.id, ChecklistItem.change == "new")
    )
    click.echo(f"Version {new.number} veröffentlicht: {added} neue, {changed} geänderte Punkte.")


@privacy_cli.command("send-reminders")
@click.option("--days", default=7, show_default=True, help="Erinnern, wenn die Frist in so vielen Tagen endet")
def send_reminders_command(days):
    """Erinnert Verantwortliche an nahe und überschrittene Fristen (keine doppelten Mails)."""
    sent, items = send_reminders(days=days)
    click.echo(f"{sent} Erinnerung(en) zu {items} Punkt(en) verschickt.")
