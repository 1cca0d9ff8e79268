"""``flask audit prune`` and ``flask seed-bench``."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from . import review, services
from .seed import seed_bench

audit_cli = AppGroup("audit", help="Protokoll (Audit-Log) verwalten.")


@audit_cli.command("prune")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=None,
    help="Aufbewahrungsfrist in Tagen (Standard: AUDIT_RETENTION_DAYS).",
)
@with_appcontext
def prune_command(days):
    """Delete audit entries older than the retention period."""
    days = days or int(current_app.config["AUDIT_RETENTION_DAYS"])
    deleted = services.prune_audit(days)
    click.echo(f"{deleted} Protokolleinträge älter als {days} Tage gelöscht.")


@click.command("seed-bench")
@click.option("--clubs", "n_clubs", type=click.IntRange(min=1, max=200_000), default=10_000, show_default=True)
@click.option("--users-per-club", type=click.IntRange(min=1, max=100), default=10, show_default=True)
@click.option(
    "--assessed",
    type=click.FloatRange(0, 1),
    default=0.5,
    show_default=True,
    help="Anteil der Vereine mit Selbstcheck-Antworten",
)
@click.option("--password", default="bench-passwort-123", show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@with_appcontext
def seed_bench_command(n_clubs, users_per_club, assessed, password, seed):
    """Create a large, realistic data set for benchmarks (bulk inserts)."""
    started = time.perf_counter()
    summary = seed_bench(n_clubs, users_per_club=users_per_club, assessed=assessed, password=password, seed=seed)
    elapsed = time.perf_counter() - started
    for key, value in summary.items():
        click.echo(f"{key}: {value}")
    click.echo(f"Dauer: {elapsed:.1f} s")


@click.command("review-reminder")
@with_appcontext
def review_reminder_command():
    """Monthly: mail staff the legal texts due for review (older than CONTENT_REVIEW_MONTHS)."""
    due, sent = review.send_reminder()
    click.echo(f"{due} Text(e) zur Prüfung fällig, {sent} Erinnerung(en) verschickt.")


def init_app(app):
    app.config.setdefault("CONTENT_REVIEW_MONTHS", review.DEFAULT_MONTHS)
    app.cli.add_command(review_reminder_command)
    app.cli.add_command(audit_cli)
    app.cli.add_command(seed_bench_command)
