"""``flask chat reconcile|retry|status``."""

import click
from flask.cli import AppGroup

from . import community, provisioning, queue, services

chat_cli = AppGroup("chat", help="Team-Chat (Mattermost): Abgleich und Warteschlange.")


@chat_cli.command("reconcile")
def reconcile_command():
    """Compare every provisioned channel with its club and repair differences (nightly cron)."""
    for line in provisioning.reconcile():
        click.echo(line)


@chat_cli.command("retry")
@click.option("--all", "everything", is_flag=True, help="Auch noch nicht fällige und gescheiterte Änderungen")
def retry_command(everything):
    """Send the changes that wait for the chat server (due ones; --all: every open one)."""
    if everything:
        click.echo(f"{queue.retry_now()} Änderungen erneut gesendet.")
    else:
        result = queue.process_due()
        click.echo(f"erledigt: {result['done']}, wartet weiter: {result['pending']}, gescheitert: {result['failed']}")


@chat_cli.command("status")
def status_command():
    """List open (pending/failed) chat changes."""
    ops = services.open_ops()
    for op in ops:
        click.echo(
            f"#{op.id} {op.club.slug if op.club else 'community'} {op.kind} {op.status} Versuche={op.attempts} "
            f"nächster={op.next_try_at:%Y-%m-%d %H:%M} Fehler={op.last_error or '-'}"
        )
    if not ops:
        click.echo("Keine offenen Änderungen.")


@chat_cli.command("community")
def community_command():
    """Create the community channel now (otherwise the bot creates it when the first person joins)."""
    click.echo(community.provision())


def init_app(app):
    app.cli.add_command(chat_cli)
