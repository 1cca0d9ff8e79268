"""The one place for retention periods, and ``flask retention run``.

Periods are configuration keys (defaults below; override in instance/config.py
or the environment). The "Meine Daten" page, the generated privacy policy and
the retention run all read them from here, so they cannot drift apart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from ..auth.models import User
from ..auth.services import clubs_blocking_deletion
from ..clubs.models import Invitation
from ..core.audit import AuditEntry
from ..core.db import utcnow
from ..core.errors import carry_on
from ..extensions import db
from . import registry

log = logging.getLogger(__name__)

#: config key -> default. Days unless the key says HOURS.
RETENTION_DEFAULTS = {
    "RETENTION_UNCONFIRMED_ACCOUNT_DAYS": 30,
    "RETENTION_EXPIRED_INVITATION_DAYS": 90,
    "AUDIT_RETENTION_DAYS": 365,
    "WORKSHOP_RETENTION_DAYS": 30,
    "CLUB_DELETION_GRACE_DAYS": 30,
    "DATA_EXPORT_EXPIRY_HOURS": 48,
    "DIRECTORY_CONTACT_RETENTION_DAYS": 7,
}

#: (config key, label, what happens) – shown on the privacy page and "Meine Daten".
PERIODS = (
    (
        "RETENTION_UNCONFIRMED_ACCOUNT_DAYS",
        _l("Nicht bestätigte Konten"),
        _l("werden %(n)s Tage nach der Registrierung gelöscht."),
    ),
    (
        "RETENTION_EXPIRED_INVITATION_DAYS",
        _l("Abgelaufene oder widerrufene Einladungen"),
        _l("werden %(n)s Tage nach Ablauf gelöscht."),
    ),
    (
        "AUDIT_RETENTION_DAYS",
        _l("Protokoll sicherheitsrelevanter Aktionen"),
        _l("Einträge werden nach %(n)s Tagen gelöscht."),
    ),
    ("WORKSHOP_RETENTION_DAYS", _l("Anmeldungen zu Workshops"), _l("werden %(n)s Tage nach dem Workshop gelöscht.")),
    (
        "CLUB_DELETION_GRACE_DAYS",
        _l("Geschlossene Vereine"),
        _l("Alle Daten des Vereins werden %(n)s Tage nach der Schließung gelöscht."),
    ),
    (
        "DATA_EXPORT_EXPIRY_HOURS",
        _l("Datenexporte (ZIP-Dateien)"),
        _l("werden %(n)s Stunden nach der Erstellung gelöscht."),
    ),
    (
        "DIRECTORY_CONTACT_RETENTION_DAYS",
        _l("Nachrichten über „Kontakt aufnehmen“ (Vereinsverzeichnis)"),
        _l("werden nach der Zustellung gelöscht; nicht zustellbare nach %(n)s Tagen."),
    ),
)


def init_config(app) -> None:
    """Fill in defaults (instance/config.py and environment variables, see app/config.py, win)."""
    for key, default in RETENTION_DEFAULTS.items():
        app.config.setdefault(key, default)


def period(key: str) -> int:
    return int(current_app.config.get(key, RETENTION_DEFAULTS[key]))


def periods() -> list[dict]:
    return [
        {"key": key, "label": label, "value": period(key), "text": text % {"n": period(key)}}
        for key, label, text in PERIODS
    ]


# --- categories of personal data (Meine Daten, export, policy) --------------------


@dataclass(frozen=True)
class Category:
    key: str
    title: object
    purpose: object
    retention: Callable[[], str]


def _r(text, key=None):
    return lambda: str(text) % {"n": period(key)} if key else str(text)


CATEGORIES = {
    c.key: c
    for c in (
        Category(
            "account",
            _l("Konto"),
            _l(
                "Name, E-Mail-Adresse, Passwort (nur als sicherer Hash), Sprache, Zeitpunkte von Registrierung und "
                "letzter Anmeldung – damit Sie sich anmelden und wir Sie benachrichtigen können."
            ),
            _r(
                _l("Bis Sie Ihr Konto löschen. Nicht bestätigte Konten: %(n)s Tage."),
                "RETENTION_UNCONFIRMED_ACCOUNT_DAYS",
            ),
        ),
        Category(
            "two_factor",
            _l("Zwei-Faktor-Anmeldung"),
            _l(
                "Ob und seit wann Ihre Zwei-Faktor-Anmeldung eingeschaltet ist, der Schlüssel Ihrer Authenticator-App "
                "(verschlüsselt), Ihre Wiederherstellungscodes (nur als Hash) und Ihre Passkeys (Name, Zeitpunkte, "
                "öffentlicher Schlüssel) – damit nur Sie sich anmelden können. Schlüssel, Code-Hashes und die "
                "Kennungen der Passkeys stehen nicht im Export: Mit ihnen könnte man sich anmelden oder Sie "
                "wiedererkennen."
            ),
            _r(_l("Bis Sie die Zwei-Faktor-Anmeldung ausschalten, einen Passkey entfernen oder Ihr Konto löschen.")),
        ),
        Category(
            "memberships",
            _l("Vereine und Rollen"),
            _l("In welchen Vereinen Sie Mitglied oder Vorstand sind – damit Sie den Arbeitsbereich nutzen können."),
            _r(_l("Bis Sie den Verein verlassen, Ihr Konto löschen oder der Verein geschlossen wird.")),
        ),
        Category(
            "clubs",
            _l("Vereinsdaten, die Sie angelegt oder geändert haben"),
            _l(
                "Vereinsprofil, Statuswechsel und Schließungen, an denen Sie beteiligt waren. Diese Daten gehören "
                "dem Verein; nach einer Kontolöschung steht dort „ehemaliges Mitglied“."
            ),
            _r(_l("Solange der Verein besteht; nach einer Schließung noch %(n)s Tage."), "CLUB_DELETION_GRACE_DAYS"),
        ),
        Category(
            "invitations",
            _l("Einladungen"),
            _l("Einladungen, die Sie verschickt oder bekommen haben – damit neue Mitglieder beitreten können."),
            _r(_l("Abgelaufene Einladungen werden nach %(n)s Tagen gelöscht."), "RETENTION_EXPIRED_INVITATION_DAYS"),
        ),
        Category(
            "checklist",
            _l("Datenschutz-Selbstcheck"),
            _l(
                "Antworten, Notizen und Verlauf des Selbstchecks, die Sie für Ihren Verein eingetragen haben. "
                "Sie bleiben beim Verein, nach einer Kontolöschung ohne Ihren Namen."
            ),
            _r(_l("Solange der Verein besteht.")),
        ),
        Category(
            "meetings",
            _l("Videokonferenzen"),
            _l("Konferenzräume, Termine, Teilnahmen und Aufzeichnungen Ihres Vereins, soweit sie Sie betreffen."),
            _r(_l("Solange der Verein besteht; Aufzeichnungen nach den Einstellungen des Vereins.")),
        ),
        Category(
            "chat",
            _l("Team-Chat"),
            _l(
                "Die Verknüpfung Ihres Kontos mit dem Mattermost-Kanal Ihres Vereins. Nachrichten speichert "
                "Mattermost, nicht der Vereinsraum."
            ),
            _r(_l("Bis Sie Ihr Konto löschen oder der Verein geschlossen wird.")),
        ),
        Category(
            "workshops",
            _l("Workshops und Sprechstunden"),
            _l("Ihre Anmeldungen zu Workshops und Beratungsterminen – damit wir Sie einladen und erinnern können."),
            _r(_l("%(n)s Tage nach dem Termin."), "WORKSHOP_RETENTION_DAYS"),
        ),
        Category(
            "directory",
            _l("Vereinsverzeichnis"),
            _l(
                "Der Eintrag Ihres Vereins im öffentlichen Verzeichnis (nur wenn der Vorstand ihn einschaltet) und "
                "Nachrichten über „Kontakt aufnehmen“: Name und E-Mail-Adresse der Absenderin oder des Absenders "
                "und der Text, bis die Nachricht dem Verein zugestellt ist."
            ),
            _r(
                _l(
                    "Eintrag: bis der Vorstand ihn abschaltet oder der Verein gelöscht wird. Nachrichten: bis zur "
                    "Zustellung, höchstens %(n)s Tage."
                ),
                "DIRECTORY_CONTACT_RETENTION_DAYS",
            ),
        ),
        Category(
            "admin",
            _l("Verwaltung durch das Plattform-Team"),
            _l("Notizen und Vorgänge des Plattform-Teams, die Sie oder Ihren Verein betreffen."),
            _r(_l("Solange sie für die Betreuung nötig sind; mit dem Verein gelöscht.")),
        ),
        Category(
            "audit",
            _l("Sicherheitsprotokoll"),
            _l(
                "Wer wann sicherheitsrelevante Aktionen ausgeführt hat (z. B. Rollen geändert, Einladungen "
                "verschickt) – zum Schutz vor Missbrauch (Art. 32 DSGVO)."
            ),
            _r(_l("%(n)s Tage; nach einer Kontolöschung nur noch mit Pseudonym."), "AUDIT_RETENTION_DAYS"),
        ),
        Category(
            "exports",
            _l("Ihre Datenexporte"),
            _l("Die ZIP-Dateien, die Sie über diese Seite angefordert haben."),
            _r(_l("%(n)s Stunden nach der Erstellung."), "DATA_EXPORT_EXPIRY_HOURS"),
        ),
    )
}


def category(key: str) -> Category:
    return CATEGORIES.get(key) or Category(key, key, "", lambda: "")


# --- retention rules ---------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    key: str
    label: object
    run: Callable[[bool], int]  # (dry_run) -> number of records (that would be) deleted


def _cutoff(key: str, hours: bool = False):
    amount = period(key)
    return utcnow() - (timedelta(hours=amount) if hours else timedelta(days=amount))


def purge_unconfirmed_accounts(dry_run: bool) -> int:
    from .erasure import erase_user  # erasure -> services -> this module (periods): imported when run

    users = db.session.scalars(
        sa.select(User).where(
            User.email_confirmed_at.is_(None),
            User.is_staff.is_(False),
            User.created_at < _cutoff("RETENTION_UNCONFIRMED_ACCOUNT_DAYS"),
        )
    ).all()
    users = [u for u in users if not clubs_blocking_deletion(u)]
    if not dry_run:
        for user_id in [user.id for user in users]:
            with carry_on("retention: erasing unconfirmed account %s", user_id):
                erase_user(db.session.get(User, user_id), reason="retention")
    return len(users)


def purge_expired_invitations(dry_run: bool) -> int:
    cutoff = _cutoff("RETENTION_EXPIRED_INVITATION_DAYS")
    clause = sa.or_(Invitation.expires_at < cutoff, Invitation.revoked_at < cutoff)
    return _delete_where(Invitation, clause, dry_run)


def purge_audit_log(dry_run: bool) -> int:
    return _delete_where(AuditEntry, AuditEntry.created_at < _cutoff("AUDIT_RETENTION_DAYS"), dry_run)


def purge_export_files(dry_run: bool) -> int:
    from .exports import purge_expired_exports  # exports -> services -> this module: imported when run

    return purge_expired_exports(dry_run=dry_run)


def purge_closed_clubs(dry_run: bool) -> int:
    from .closure import due_closures  # closure -> services -> this module: imported when run
    from .tasks import run_club_deletion  # tasks -> closure -> services -> this module

    due = due_closures()
    if dry_run:
        return len(due)
    for deletion in due_closures():  # due ones, earlier failed attempts included (retried until done)
        with carry_on("retention: club deletion %s", deletion.id):
            run_club_deletion(deletion.id)
    return len(due)


def _delete_where(model, clause, dry_run: bool) -> int:
    count = db.session.scalar(sa.select(sa.func.count()).select_from(model).where(clause)) or 0
    if count and not dry_run:
        db.session.execute(sa.delete(model).where(clause).execution_options(synchronize_session=False))
        db.session.commit()
    return count


def rules() -> list[Rule]:
    return [
        Rule("accounts", _l("Nicht bestätigte Konten"), purge_unconfirmed_accounts),
        Rule("invitations", _l("Abgelaufene Einladungen"), purge_expired_invitations),
        Rule("audit", _l("Protokolleinträge"), purge_audit_log),
        Rule("exports", _l("Datenexporte"), purge_export_files),
        Rule("clubs", _l("Geschlossene Vereine nach Ablauf der Frist"), purge_closed_clubs),
        # purges owned by other domains (registry.declare_retention_rule), applied by the same command
        *(Rule(*rule) for rule in registry.RETENTION_RULES.values()),
    ]


def run(dry_run: bool = False) -> list[tuple[Rule, int]]:
    """Apply every retention rule once. Idempotent: a second run finds nothing."""
    results = []
    for rule in rules():
        count = None  # None: the rule failed (logged); the other rules still run
        with carry_on("retention rule %s", rule.key):
            count = rule.run(dry_run)
            log.info("retention %s: %s %s", rule.key, "would delete" if dry_run else "deleted", count)
        results.append((rule, count))
    return results
