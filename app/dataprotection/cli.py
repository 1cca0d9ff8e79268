import click
from flask.cli import with_appcontext

from . import retention


def init_app(app):
    @app.cli.group("retention")
    def retention_group():
        """Aufbewahrungsfristen anwenden (für cron)."""

    @retention_group.command("run")
    @click.option("--dry-run", is_flag=True, help="Nur anzeigen, was gelöscht würde")
    @with_appcontext
    def run_command(dry_run):
        """Apply every retention period once (idempotent)."""
        results = retention.run(dry_run=dry_run)
        for rule, count in results:
            if count is None:
                click.echo(
                    f"{rule.label}: fehlgeschlagen (Details im Protokoll); die anderen Fristen wurden angewendet"
                )
            elif count < 0:
                click.echo(f"{rule.label}: Probelauf nicht möglich (nur echter Lauf)")
            elif dry_run:
                click.echo(f"{rule.label}: würde {count} löschen")
            else:
                click.echo(f"{rule.label}: {count} gelöscht")
        total = sum(c for _, c in results if c is not None and c > 0)
        click.echo(("Probelauf – nichts gelöscht. Insgesamt: %d" if dry_run else "Fertig. Insgesamt: %d") % total)
        if any(c is None for _, c in results):
            raise click.exceptions.Exit(1)
