"""The audit log for staff: filters, one page of entries, pruning (``flask audit prune``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from ..auth.models import User
from ..clubs.models import Club
from ..core.audit import AuditEntry
from ..core.converters import MAX_DB_INT
from ..core.db import contains_pattern
from ..core.i18n import local_tz
from ..extensions import db

AUDIT_PAGE_SIZE = 50

#: Readable names of the audit actions (tests/admin/test_audit_labels.py checks every recorded action has one;
#: an unknown action, e.g. from an older release, shows its code).
AUDIT_LABELS = {
    "account.deleted": _l("Konto gelöscht"),
    "account.email_changed": _l("E-Mail-Adresse geändert"),
    "admin.answers_viewed": _l("Geteilte Antworten angesehen"),
    "admin.note_added": _l("Interne Notiz angelegt"),
    "admin.note_deleted": _l("Interne Notiz gelöscht"),
    "admin.statistics_exported": _l("Statistik exportiert"),
    "audit.pruned": _l("Protokoll bereinigt"),
    "chat.linked": _l("Chat-Kanal verknüpft"),
    "chat.options": _l("Chat-Einstellungen geändert"),
    "chat.provision_requested": _l("Chat-Kanal angefordert"),
    "chat.provisioned": _l("Chat-Kanal angelegt"),
    "chat.retry": _l("Chat-Abgleich erneut versucht"),
    "chat.unlinked": _l("Chat-Kanal getrennt"),
    "club.registered": _l("Verein angemeldet"),
    "club.pending": _l("Verein wieder zur Prüfung"),
    "club.approved": _l("Verein freigeschaltet"),
    "club.rejected": _l("Anmeldung abgelehnt"),
    "club.suspended": _l("Verein gesperrt"),
    "club.closed": _l("Verein geschlossen"),
    "club.restored": _l("Verein wiederhergestellt"),
    "club.deleted": _l("Verein gelöscht"),
    "club.exported": _l("Vereinsdaten exportiert"),
    "club.profile_updated": _l("Vereinsprofil geändert"),
    "club.renamed": _l("Verein umbenannt"),
    "consultation.admitted": _l("In die Sprechstunde eingelassen"),
    "consultation.booking_cancelled": _l("Sprechstunden-Termin abgesagt"),
    "consultation.exception_added": _l("Sprechstunde: Ausnahme eingetragen"),
    "consultation.exception_removed": _l("Sprechstunde: Ausnahme entfernt"),
    "consultation.purged": _l("Alte Sprechstunden-Daten gelöscht"),
    "consultation.schedule_saved": _l("Sprechstunden-Zeiten gespeichert"),
    "content.created": _l("Inhalt angelegt"),
    "content.draft_saved": _l("Entwurf gespeichert"),
    "content.published": _l("Inhalt veröffentlicht"),
    "content.withdrawn": _l("Inhalt zurückgezogen"),
    "invitation.created": _l("Einladung erstellt"),
    "invitation.revoked": _l("Einladung widerrufen"),
    "invitation.accepted": _l("Einladung angenommen"),
    "agreement.accepted": _l("Auftragsverarbeitungsvertrag angenommen"),
    "content.reviewed": _l("Text als geprüft markiert"),
    "meeting.cancelled": _l("Termin abgesagt"),
    "meeting.ended": _l("Konferenz beendet"),
    "meeting.feed_renewed": _l("Kalender-Link erneuert"),
    "meeting.guest_link_renewed": _l("Gast-Link erneuert"),
    "meeting.recording_deleted": _l("Aufzeichnung gelöscht"),
    "meeting.recording_published": _l("Aufzeichnung freigegeben"),
    "meeting.recording_unpublished": _l("Aufzeichnung zurückgezogen"),
    "meeting.room_changed": _l("Konferenzraum geändert"),
    "meeting.room_created": _l("Konferenzraum angelegt"),
    "meeting.room_deleted": _l("Konferenzraum gelöscht"),
    "meeting.schedule_changed": _l("Termin geändert"),
    "meeting.scheduled": _l("Termin angelegt"),
    "meeting.started": _l("Konferenz gestartet"),
    "member.role_changed": _l("Rolle geändert"),
    "member.removed": _l("Mitglied entfernt"),
    "page.reset": _l("Seite zurückgesetzt"),
    "page.updated": _l("Seite geändert"),
    "privacy.export_requested": _l("Datenexport angefordert"),
    "privacy.exported": _l("Selbstcheck exportiert"),
    "privacy.evidence_added": _l("Selbstcheck: Nachweis hinzugefügt"),
    "privacy.evidence_removed": _l("Selbstcheck: Nachweis entfernt"),
    "privacy.profile": _l("Selbstcheck: Angaben zum Verein geändert"),
    "privacy.settings": _l("Selbstcheck: Einstellungen geändert"),
    "workshop.cancelled": _l("Workshop abgesagt"),
    "workshop.created": _l("Workshop angelegt"),
    "workshop.message_sent": _l("Nachricht an Workshop-Teilnehmende"),
    "workshop.registration_cancelled": _l("Workshop-Anmeldung storniert"),
    "workshop.updated": _l("Workshop geändert"),
    "workshops.purged": _l("Alte Workshop-Daten gelöscht"),
    "account.passkey_added": _l("Passkey hinzugefügt"),
    "account.passkey_removed": _l("Passkey entfernt"),
    "account.recovery_code_used": _l("Wiederherstellungscode benutzt"),
    "account.recovery_codes_regenerated": _l("Wiederherstellungscodes neu erzeugt"),
    "account.two_factor_disabled": _l("Zwei-Faktor-Anmeldung abgeschaltet"),
    "account.two_factor_enabled": _l("Zwei-Faktor-Anmeldung eingerichtet"),
    "admin.report_exported": _l("Bericht an die Verwaltung heruntergeladen"),
    "chat.archived": _l("Chat-Kanal archiviert"),
    "chat.deleted": _l("Chat-Kanal endgültig gelöscht"),
    "chat.restored": _l("Chat-Kanal wiederhergestellt"),
    "community.channel_created": _l("Community-Kanal angelegt"),
    "community.joined": _l("Dem Community-Kanal beigetreten"),
    "community.left": _l("Community-Kanal verlassen"),
    "community.removed": _l("Aus dem Community-Kanal entfernt"),
    "community.allowed": _l("Wieder für den Community-Kanal freigegeben"),
    "club.board_two_factor_changed": _l("Zwei-Faktor-Pflicht für den Vorstand geändert"),
    "directory.listed": _l("Im Vereinsverzeichnis veröffentlicht"),
    "directory.topic_saved": _l("Thema im Verzeichnis gespeichert"),
    "directory.unlisted": _l("Aus dem Vereinsverzeichnis genommen"),
    "meeting.occurrence_cancelled": _l("Einzeltermin abgesagt"),
    "meeting.occurrence_moved": _l("Einzeltermin verschoben"),
    "meeting.reminders": _l("Termin-Erinnerungen geändert"),
    "offers.saved": _l("Angebot gespeichert"),
    "toolkit.breach_closed": _l("Datenpanne abgeschlossen"),
    "toolkit.breach_logged": _l("Datenpanne erfasst"),
    "toolkit.breach_notified": _l("Datenpanne gemeldet"),
    "toolkit.notice_saved": _l("Datenschutzhinweis gespeichert"),
    "toolkit.record_saved": _l("Verarbeitungsverzeichnis gespeichert"),
    "toolkit.record_shared": _l("Freigabe des Verarbeitungsverzeichnisses geändert"),
    "toolkit.request_closed": _l("Betroffenenanfrage abgeschlossen"),
    "toolkit.request_extended": _l("Frist einer Betroffenenanfrage verlängert"),
    "toolkit.request_logged": _l("Betroffenenanfrage erfasst"),
}


@dataclass
class AuditFilters:
    action: str = ""
    club: str = ""
    club_id: int | None = None
    actor: str = ""
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1
    errors: dict = field(default_factory=dict)

    @classmethod
    def from_args(cls, args) -> AuditFilters:
        f = cls(
            action=(args.get("aktion") or "").strip()[:64],
            club=(args.get("verein") or "").strip()[:100],
            actor=(args.get("person") or "").strip()[:100],
        )
        try:
            f.club_id = int(args["verein_id"]) if args.get("verein_id") else None
            if f.club_id is not None and not 0 < f.club_id <= MAX_DB_INT:  # beyond INTEGER: 500 on PostgreSQL
                raise ValueError
        except ValueError:
            f.club_id = None
            f.errors["verein_id"] = _l("Unbekannter Verein.")
        for name, attr in (("von", "date_from"), ("bis", "date_to")):
            raw = (args.get(name) or "").strip()
            if raw:
                try:
                    setattr(f, attr, date.fromisoformat(raw))
                except ValueError:
                    f.errors[name] = _l("Bitte geben Sie ein Datum im Format JJJJ-MM-TT an.")
        if f.date_from and f.date_to and f.date_from > f.date_to:
            f.errors["bis"] = _l("Das Enddatum liegt vor dem Startdatum.")
            f.date_to = None
        try:
            f.page = max(1, min(int(args.get("seite", 1)), 100_000))
        except (TypeError, ValueError):
            f.page = 1
        return f

    def args(self, **changes) -> dict:
        values = {
            "aktion": self.action,
            "verein": self.club,
            "verein_id": self.club_id,
            "person": self.actor,
            "von": self.date_from.isoformat() if self.date_from else "",
            "bis": self.date_to.isoformat() if self.date_to else "",
            "seite": self.page,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", None) and not (k == "seite" and v == 1)}


def _day_start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=local_tz())


def audit_page(f: AuditFilters):
    Actor = so.aliased(User)
    conditions = []
    if f.action:
        conditions.append(AuditEntry.action == f.action)
    if f.club_id is not None:
        conditions.append(AuditEntry.club_id == f.club_id)
    if f.club:
        conditions.append(
            AuditEntry.club_id.in_(sa.select(Club.id).where(Club.name.ilike(contains_pattern(f.club), escape="\\")))
        )
    if f.actor:
        pattern = contains_pattern(f.actor)
        conditions.append(
            AuditEntry.actor_id.in_(
                sa.select(User.id).where(
                    sa.or_(User.email.ilike(pattern, escape="\\"), User.name.ilike(pattern, escape="\\"))
                )
            )
        )
    if f.date_from:
        conditions.append(AuditEntry.created_at >= _day_start(f.date_from))
    if f.date_to:
        conditions.append(AuditEntry.created_at < _day_start(f.date_to + timedelta(days=1)))
    total = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(*conditions)) or 0
    pages = max(1, -(-total // AUDIT_PAGE_SIZE))
    page = min(f.page, pages)
    rows = db.session.execute(
        sa.select(AuditEntry, Actor.name, Actor.email, Club.name)
        .outerjoin(Actor, Actor.id == AuditEntry.actor_id)
        .outerjoin(Club, Club.id == AuditEntry.club_id)
        .where(*conditions)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(AUDIT_PAGE_SIZE)
        .offset((page - 1) * AUDIT_PAGE_SIZE)
    ).all()
    actions = list(db.session.scalars(sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
    return rows, total, page, pages, actions
