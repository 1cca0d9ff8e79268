"""The processing agreement: generated from configuration, versioned by its text, accepted by the board.

The text is ours, in sections (German binding, English for reading). Everything that differs between
installations comes from settings (``AGREEMENT_*``, see :data:`DEFAULTS`) and from what the platform
runs (BBB, Mattermost, mail) and keeps (retention periods). The German sections are hashed: the same
configuration gives the same version, a change gives a new one (:func:`current_version`), and the
clubs' boards are asked to accept again, with the changed sections shown (:func:`section_changes`).

Until the operator's name and address and a provider for every service in use are set, there is no
agreement to accept (:func:`missing_settings`): a contract that names nobody would bind nobody.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass
from urllib.parse import urlsplit

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..clubs.models import Club, ClubStatus
from ..core.audit import audit_record
from ..core.db import utcnow
from ..extensions import cache, db
from .models import AgreementAcceptance, AgreementVersion

#: Settings of this domain and their defaults (set in ``init_app``; README "Alle Einstellungen").
DEFAULTS = {
    "AGREEMENT_OPERATOR_NAME": None,  # the operator (processor), e.g. "Vereinsraum gGmbH"
    "AGREEMENT_OPERATOR_ADDRESS": None,  # its postal address, one line
    "AGREEMENT_OPERATOR_CONTACT": None,  # contact for data protection (e-mail), optional
    "AGREEMENT_HOSTING_PROVIDER": None,  # "Name; location" or "selbst" (the operator's own servers)
    "AGREEMENT_BBB_PROVIDER": None,  # needed when BBB_API_URL is set
    "AGREEMENT_MATTERMOST_PROVIDER": None,  # needed when MATTERMOST_URL is set
    "AGREEMENT_MAIL_PROVIDER": None,  # needed when MAIL_SERVER is set
    "AGREEMENT_TOMS_EXTRA": (),  # further measures, one sentence each
    "AGREEMENT_BACKUP_DAYS": 30,  # backups are overwritten after at most this many days
}

SELF = {"selbst", "self"}


class AgreementError(Exception):
    """A clear German message for the board (the agreement changed, or is not set up)."""


@dataclass(frozen=True)
class Service:
    key: str
    setting: str
    name: str
    location: str | None
    own: bool  # run by the operator itself: no sub-processor


# --- configuration ------------------------------------------------------------------------------


def _setting(key: str):
    value = current_app.config.get(key, DEFAULTS[key])
    return value.strip() if isinstance(value, str) else value


def _host(url: str | None) -> str | None:
    return (urlsplit(url).hostname or url) if url else None


def _services_in_use() -> list[tuple[str, str, str | None]]:
    """(key, setting, host) for every service that processes club data in this installation."""
    config = current_app.config
    used = [("hosting", "AGREEMENT_HOSTING_PROVIDER", _host(config.get("BASE_URL")))]
    if config.get("BBB_API_URL"):
        used.append(("bbb", "AGREEMENT_BBB_PROVIDER", _host(config["BBB_API_URL"])))
    if config.get("MATTERMOST_URL"):
        used.append(("mattermost", "AGREEMENT_MATTERMOST_PROVIDER", _host(config["MATTERMOST_URL"])))
    if config.get("MAIL_SERVER"):
        used.append(("mail", "AGREEMENT_MAIL_PROVIDER", config["MAIL_SERVER"]))
    return used


def missing_settings() -> list[str]:
    """The settings still needed before clubs can accept the agreement (empty = complete)."""
    missing = [key for key in ("AGREEMENT_OPERATOR_NAME", "AGREEMENT_OPERATOR_ADDRESS") if not _setting(key)]
    missing += [setting for _key, setting, _host in _services_in_use() if not _setting(setting)]
    return missing


def is_configured() -> bool:
    return not missing_settings()


def services() -> list[Service]:
    result = []
    for key, setting, _host_name in _services_in_use():
        raw = _setting(setting) or ""
        if raw.lower() in SELF:
            result.append(Service(key, setting, "", None, True))
            continue
        name, _sep, location = raw.partition(";")
        result.append(Service(key, setting, name.strip(), location.strip() or None, False))
    return result


# --- the text -----------------------------------------------------------------------------------


def _service_label(key: str) -> str:
    return {
        "hosting": _("Rechenzentrum (Server und Datenbank der Plattform)"),
        "bbb": _("Videokonferenzen (BigBlueButton-Server)"),
        "mattermost": _("Team-Chat (Mattermost-Server)"),
        "mail": _("E-Mail-Versand"),
    }[key]


def _extra_measures() -> list[str]:
    """AGREEMENT_TOMS_EXTRA: a list of sentences, or one text with one measure per line."""
    raw = _setting("AGREEMENT_TOMS_EXTRA") or ()
    if isinstance(raw, str):
        raw = raw.splitlines()
    return [str(extra).strip() for extra in raw if str(extra).strip()]


def _sections() -> list[dict]:
    """The sections in the current locale (call inside ``force_locale``)."""
    config = current_app.config
    operator = _setting("AGREEMENT_OPERATOR_NAME") or _("(Betreiber noch nicht eingetragen)")
    address = _setting("AGREEMENT_OPERATOR_ADDRESS") or _("(Anschrift noch nicht eingetragen)")
    contact = _setting("AGREEMENT_OPERATOR_CONTACT")
    used = {service.key for service in services()}

    def section(key, title, *paragraphs):
        return {"key": key, "title": title, "paragraphs": [p for p in paragraphs if p]}

    parties = section(
        "parteien",
        _("1. Vertragsparteien"),
        _(
            "Verantwortlicher ist der Verein, dessen Vorstand diesen Vertrag im Vereinsraum annimmt (im "
            "Folgenden „der Verein“)."
        ),
        _(
            "Auftragsverarbeiter ist %(operator)s, %(address)s, der Betreiber der Plattform Vereinsraum (im "
            "Folgenden „der Betreiber“).",
            operator=operator,
            address=address,
        ),
        _("Ansprechstelle für den Datenschutz beim Betreiber: %(contact)s.", contact=contact) if contact else "",
    )
    subject = section(
        "gegenstand",
        _("2. Gegenstand und Dauer"),
        _(
            "Der Betreiber stellt dem Verein den Arbeitsbereich im Vereinsraum bereit und verarbeitet dabei "
            "personenbezogene Daten im Auftrag des Vereins (Art. 28 DSGVO)."
        )
        + " "
        + " ".join(
            text
            for flag, text in (
                (True, _("Dazu gehören die Mitgliederverwaltung des Arbeitsbereichs und der Datenschutz-Selbstcheck.")),
                ("bbb" in used, _("Der Betreiber betreibt die Videokonferenzen (BigBlueButton) des Vereins.")),
                ("mattermost" in used, _("Der Betreiber betreibt den Team-Chat (Mattermost) des Vereins.")),
                ("mail" in used, _("Der Betreiber versendet E-Mails des Arbeitsbereichs an die Mitglieder.")),
            )
            if flag
        ),
        _(
            "Der Vertrag gilt, solange der Verein den Vereinsraum nutzt. Er endet, wenn der Verein geschlossen "
            "und seine Daten gelöscht sind."
        ),
    )
    kinds = section(
        "daten",
        _("3. Art der Daten und betroffene Personen"),
        _(
            "Betroffen sind die Mitglieder des Arbeitsbereichs (Vorstand und Mitglieder) und Gäste, die der "
            "Verein zu Videokonferenzen einlädt."
        ),
        _(
            "Verarbeitet werden: Name und E-Mail-Adresse, Rolle im Verein, Antworten und Notizen im "
            "Selbstcheck, Einladungen; bei Videokonferenzen Name im Raum, Ton, Bild, geteilte Inhalte und "
            "Aufzeichnungen, sofern der Verein sie startet; im Team-Chat Nachrichten und Dateien."
        ),
        _(
            "Zweck ist allein, dem Verein diese Werkzeuge bereitzustellen. Der Betreiber nutzt die Daten "
            "nicht für eigene Zwecke, nicht für Werbung und gibt sie nicht an Dritte weiter, außer an die "
            "unten genannten Unterauftragsverarbeiter."
        ),
    )
    instructions = section(
        "weisungen",
        _("4. Weisungen und Vertraulichkeit"),
        _(
            "Der Betreiber verarbeitet die Daten nur auf dokumentierte Weisung des Vereins. Die Weisungen "
            "gibt der Verein durch die Nutzung und die Einstellungen des Arbeitsbereichs sowie in Textform. "
            "Hält der Betreiber eine Weisung für rechtswidrig, sagt er es dem Verein unverzüglich."
        ),
        _(
            "Alle Personen, die beim Betreiber Zugang zu den Daten haben, sind zur Vertraulichkeit "
            "verpflichtet. Das Plattform-Team sieht Inhalte des Vereins nur, soweit es für Betrieb und "
            "Unterstützung nötig ist."
        ),
    )
    https = str(config.get("BASE_URL", "")).startswith("https://")
    measures = [
        _("Verbindungen zur Plattform sind mit TLS (HTTPS) verschlüsselt.")
        if https
        else _("Achtung: Diese Installation ist nicht über HTTPS erreichbar; Verbindungen sind unverschlüsselt."),
        _("Passwörter werden nur als Hash mit Salt gespeichert; Anmeldeversuche sind begrenzt."),
        _(
            "Jeder Verein sieht nur seine eigenen Daten (Mandantentrennung); im Verein entscheidet die Rolle "
            "(Vorstand oder Mitglied), wer was ändern darf."
        ),
        _("Die Seiten laden nichts von Dritten und setzen nur das Sitzungs-Cookie; es gibt kein Tracking."),
        _(
            "Sicherheitsrelevante Aktionen werden protokolliert; das Protokoll wird nach %(days)s Tagen gelöscht.",
            days=config.get("AUDIT_RETENTION_DAYS", 365),
        ),
        _(
            "Die Datenbank wird regelmäßig gesichert; Sicherungen werden spätestens nach %(days)s Tagen überschrieben.",
            days=_setting("AGREEMENT_BACKUP_DAYS"),
        ),
        *_extra_measures(),
    ]
    toms = section(
        "massnahmen",
        _("5. Technische und organisatorische Maßnahmen (Art. 32 DSGVO)"),
        _("Der Betreiber schützt die Daten mindestens so:"),
        *[f"– {measure}" for measure in measures],
        _("Der Betreiber darf die Maßnahmen ändern, wenn das Schutzniveau nicht sinkt."),
    )
    lines = []
    for service in services():
        if service.own:
            lines.append(
                _(
                    "– %(service)s: betreibt der Betreiber selbst (kein Unterauftragsverarbeiter).",
                    service=_service_label(service.key),
                )
            )
        elif service.location:
            lines.append(
                _(
                    "– %(service)s: %(name)s, Standort: %(location)s.",
                    service=_service_label(service.key),
                    name=service.name,
                    location=service.location,
                )
            )
        else:
            lines.append(_("– %(service)s: %(name)s.", service=_service_label(service.key), name=service.name or "–"))
    subprocessors = section(
        "unterauftragsverarbeiter",
        _("6. Unterauftragsverarbeiter"),
        _("Der Verein ist mit diesen Unterauftragsverarbeitern einverstanden:"),
        *lines,
        _(
            "Der Betreiber verpflichtet sie vertraglich auf dieselben Datenschutzpflichten wie in diesem "
            "Vertrag. Will er einen Unterauftragsverarbeiter hinzunehmen oder ersetzen, entsteht eine neue "
            "Fassung dieses Vertrags; der Vorstand wird gebeten, sie anzunehmen, und kann widersprechen. "
            "Übermittlungen in Länder außerhalb der EU und des EWR gibt es nur unter den Voraussetzungen "
            "der Art. 44 ff. DSGVO."
        ),
    )
    support = section(
        "unterstuetzung",
        _("7. Unterstützung des Vereins"),
        _(
            "Der Betreiber hilft dem Verein, Anfragen betroffener Personen zu beantworten (Auskunft, "
            "Berichtigung, Löschung, Einschränkung, Datenübertragbarkeit, Widerspruch); der Arbeitsbereich "
            "bietet dafür den Export und das Löschen von Daten."
        ),
        _(
            "Bemerkt der Betreiber eine Verletzung des Schutzes der Daten des Vereins, meldet er sie dem "
            "Vorstand unverzüglich, damit der Verein seine Meldepflicht (Art. 33, 34 DSGVO) erfüllen kann. "
            "Er unterstützt den Verein auch bei einer Datenschutz-Folgenabschätzung (Art. 35, 36 DSGVO)."
        ),
        _(
            "Der Betreiber stellt dem Verein die Informationen bereit, die nötig sind, um die Einhaltung "
            "dieses Vertrags nachzuweisen, und ermöglicht Überprüfungen nach Absprache."
        ),
    )
    deletion = section(
        "loeschung",
        _("8. Rückgabe, Löschung und Speicherdauer"),
        _("Der Vorstand kann jederzeit alle Daten des Vereins als Datei exportieren."),
        _(
            "Schließt der Verein seinen Arbeitsbereich, löscht der Betreiber alle Daten des Vereins nach "
            "%(days)s Tagen, auch Konferenzräume mit Aufzeichnungen; der Chat-Kanal wird archiviert. "
            "Sicherungen werden spätestens nach %(backup)s Tagen überschrieben.",
            days=config.get("CLUB_DELETION_GRACE_DAYS", 30),
            backup=_setting("AGREEMENT_BACKUP_DAYS"),
        ),
        _(
            "Daten, die der Betreiber aufgrund eines Gesetzes aufbewahren muss, werden nur dafür gespeichert "
            "und danach gelöscht."
        ),
    )
    final = section(
        "schluss",
        _("9. Annahme und neue Fassungen"),
        _(
            "Ein Vorstandsmitglied nimmt den Vertrag für den Verein im Vereinsraum an; der Betreiber "
            "speichert, wer ihn wann angenommen hat. Ändern sich Angaben dieses Vertrags, entsteht eine neue "
            "Fassung, die der Vorstand erneut annimmt. Verbindlich ist die deutsche Fassung."
        ),
    )
    return [parties, subject, kinds, instructions, toms, subprocessors, support, deletion, final]


def generate() -> dict:
    """Both languages of the text for the current configuration: ``{"de": [...], "en": [...]}``."""
    texts = {}
    for language in ("de", "en"):
        with force_locale(language):
            texts[language] = _sections()
    return texts


def content_hash(sections: dict) -> str:
    return hashlib.sha256(json.dumps(sections["de"], ensure_ascii=False, sort_keys=True).encode()).hexdigest()


# --- versions ------------------------------------------------------------------------------------


def current_version() -> AgreementVersion | None:
    """The version for the current configuration (stored on first use); None while not set up."""
    if not is_configured():
        return None
    sections = generate()
    digest = content_hash(sections)
    version = db.session.scalar(sa.select(AgreementVersion).where(AgreementVersion.content_hash == digest))
    if version is not None:
        return version
    try:
        with db.session.begin_nested():  # another process may store the same version at the same moment
            number = (db.session.scalar(sa.select(sa.func.max(AgreementVersion.number))) or 0) + 1
            version = AgreementVersion(number=number, content_hash=digest, sections=sections, created_at=utcnow())
            db.session.add(version)
        db.session.commit()
    except IntegrityError:
        return db.session.scalar(sa.select(AgreementVersion).where(AgreementVersion.content_hash == digest))
    return version


def version_by_number(number: int) -> AgreementVersion | None:
    return db.session.scalar(sa.select(AgreementVersion).where(AgreementVersion.number == number))


def localized(version: AgreementVersion, english: bool) -> list[dict]:
    return version.sections.get("en" if english else "de") or version.sections["de"]


# --- acceptance ---------------------------------------------------------------------------------


def latest_acceptance(club) -> AgreementAcceptance | None:
    return db.session.scalar(
        sa.select(AgreementAcceptance)
        .where(AgreementAcceptance.club_id == club.id)
        .order_by(AgreementAcceptance.accepted_at.desc(), AgreementAcceptance.id.desc())
        .limit(1)
    )


def acceptance_of(club, version: AgreementVersion | None) -> AgreementAcceptance | None:
    if version is None:
        return None
    return db.session.scalar(
        sa.select(AgreementAcceptance).where(
            AgreementAcceptance.club_id == club.id, AgreementAcceptance.version_id == version.id
        )
    )


def accept(club, user, expected_hash: str) -> AgreementAcceptance:
    """The board member ``user`` accepts the current version for ``club`` (audited; the caller commits).

    ``expected_hash`` is the version the person read: if the text changed in between, nothing is stored.
    """
    version = current_version()
    if version is None:
        raise AgreementError(_("Der Vertrag ist noch nicht vollständig eingerichtet. Bitte versuchen Sie es später."))
    if expected_hash != version.content_hash:
        raise AgreementError(
            _("Der Vertrag wurde inzwischen geändert. Bitte lesen Sie die neue Fassung und nehmen Sie sie dann an.")
        )
    existing = acceptance_of(club, version)
    if existing is not None:
        return existing
    acceptance = AgreementAcceptance(
        club_id=club.id, version_id=version.id, accepted_by_id=user.id, accepted_at=utcnow()
    )
    db.session.add(acceptance)
    cache.delete(_evidence_key(club))
    audit_record(
        "agreement.accepted",
        actor=user,
        club=club,
        version=version.number,
        content_hash=version.content_hash,
    )
    return acceptance


def needs_acceptance(club) -> AgreementVersion | None:
    """The current version if the club has not accepted it yet (for the board's notice), else None."""
    version = current_version()
    if version is None or acceptance_of(club, version) is not None:
        return None
    return version


# --- what changed -------------------------------------------------------------------------------


@dataclass
class SectionChange:
    title: str
    kind: str  # "new", "removed", "changed"
    lines: list  # [(op, text)] with op "+", "-" or " " (paragraph level)


def section_changes(old: AgreementVersion, new: AgreementVersion, english: bool = False) -> list[SectionChange]:
    """The sections that differ between two versions, paragraph by paragraph."""
    before = {s["key"]: s for s in localized(old, english)}
    after = localized(new, english)
    changes = []
    for sect in after:
        prior = before.pop(sect["key"], None)
        if prior is None:
            changes.append(SectionChange(sect["title"], "new", [("+", p) for p in sect["paragraphs"]]))
            continue
        if prior["paragraphs"] == sect["paragraphs"] and prior["title"] == sect["title"]:
            continue
        lines = []
        matcher = difflib.SequenceMatcher(a=prior["paragraphs"], b=sect["paragraphs"], autojunk=False)
        for op, a1, a2, b1, b2 in matcher.get_opcodes():
            if op == "equal":
                lines.extend((" ", p) for p in prior["paragraphs"][a1:a2])
                continue
            lines.extend(("-", p) for p in prior["paragraphs"][a1:a2])
            lines.extend(("+", p) for p in sect["paragraphs"][b1:b2])
        changes.append(SectionChange(sect["title"], "changed", lines))
    for sect in before.values():
        changes.append(SectionChange(sect["title"], "removed", [("-", p) for p in sect["paragraphs"]]))
    return changes


# --- evidence on the self-check item about processing agreements --------------------------------


#: The evidence line is read on every checklist page and after every checklist save; it changes only when the
#: board accepts a version. So it is kept in the shared cache (all instances), dropped on acceptance, and lives
#: at most this many seconds (a renamed or deleted person shows with their new name after that).
EVIDENCE_CACHE_SECONDS = 300


def _evidence_key(club) -> str:
    return f"agreements:evidence:{club.id}"


def evidence(club) -> list[str]:
    """``proc-avv``: the accepted agreement with the operator (registered in ``init_app``)."""
    cached = cache.get(_evidence_key(club))
    if cached is None:
        acceptance = latest_acceptance(club)
        cached = ()
        if acceptance is not None:
            who = acceptance.accepted_by.name if acceptance.accepted_by is not None else None
            cached = (acceptance.version.number, acceptance.accepted_at, who)
        cache.set(_evidence_key(club), cached, timeout=EVIDENCE_CACHE_SECONDS)
    if not cached:
        return []
    from flask_babel import format_date

    number, accepted_at, who = cached
    return [
        _(
            "Nachweis: Auftragsverarbeitungsvertrag mit dem Vereinsraum-Betreiber, Version %(version)s, "
            "angenommen am %(date)s von %(name)s",
            version=number,
            date=format_date(accepted_at, "medium"),
            name=who or _("ehemaliges Mitglied"),
        )
    ]


# --- staff overview -----------------------------------------------------------------------------

PAGE_SIZE = 50


@dataclass
class OverviewRow:
    club: Club
    acceptance: AgreementAcceptance | None


@dataclass
class Overview:
    rows: list[OverviewRow]
    total: int
    page: int
    pages: int
    current: AgreementVersion | None
    accepted_current: int
    accepted_older: int
    not_accepted: int
    per_version: list[tuple[int, int]]  # (version number, clubs whose latest acceptance it is)


def overview(page: int = 1) -> Overview:
    """Approved and suspended clubs with their latest accepted version, 50 a page, with counts."""
    version = current_version()
    statuses = (ClubStatus.APPROVED, ClubStatus.SUSPENDED)
    latest = (
        sa.select(AgreementAcceptance.club_id, sa.func.max(AgreementAcceptance.id).label("acceptance_id"))
        .group_by(AgreementAcceptance.club_id)
        .subquery()
    )
    clubs = sa.select(Club.id).where(Club.status.in_(statuses))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(clubs.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = max(1, min(page, pages))
    result = db.session.execute(
        sa.select(Club, AgreementAcceptance)
        .where(Club.status.in_(statuses))
        .outerjoin(latest, latest.c.club_id == Club.id)
        .outerjoin(AgreementAcceptance, AgreementAcceptance.id == latest.c.acceptance_id)
        .order_by(Club.name, Club.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
        .options(so.selectinload(AgreementAcceptance.version), so.selectinload(AgreementAcceptance.accepted_by))
    ).all()
    per_version = db.session.execute(
        sa.select(AgreementVersion.number, sa.func.count())
        .select_from(latest)
        .join(AgreementAcceptance, AgreementAcceptance.id == latest.c.acceptance_id)
        .join(AgreementVersion, AgreementVersion.id == AgreementAcceptance.version_id)
        .join(Club, Club.id == latest.c.club_id)
        .where(Club.status.in_(statuses))
        .group_by(AgreementVersion.number)
        .order_by(AgreementVersion.number.desc())
    ).all()
    counts = dict(per_version)
    accepted_current = counts.get(version.number, 0) if version else 0
    accepted_any = sum(counts.values())
    return Overview(
        rows=[OverviewRow(club, acceptance) for club, acceptance in result],
        total=total,
        page=page,
        pages=pages,
        current=version,
        accepted_current=accepted_current,
        accepted_older=accepted_any - accepted_current,
        not_accepted=total - accepted_any,
        per_version=[(number, count) for number, count in per_version],
    )
