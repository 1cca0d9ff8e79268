"""Checklist content: ``checklist.yaml`` → database, as numbered versions.

- ``sync()`` (``flask privacy sync``, part of ``flask content-sync``): loads the
  file as version 1 when there is no content yet; afterwards it only reports
  whether the file differs from the published version.
- ``publish()`` (``flask privacy publish``): publishes the file as a new version.
  Answers are stored per item id, so unchanged items keep their answers; items
  whose wording changed are marked "changed" (answers must be confirmed),
  new items "new" – for every club.
"""

from __future__ import annotations

import hashlib
import json
import os

import sqlalchemy as sa
import yaml
from flask_babel import lazy_gettext as _l

from ..core.sources import SourceError, parse_reviewed, parse_sources
from ..extensions import db
from .models import ChecklistItem, ChecklistTopic, ChecklistVersion
from .services import PROFILE_FLAGS, content_revised, current_items, current_version, refresh_all_assessments

CONTENT_FILE = os.path.join(os.path.dirname(__file__), "checklist.yaml")
SEVERITIES = {"Pflicht": "must", "Empfehlung": "should", "Tipp": "tip"}
#: Guide chapter ids the checklist links to, with link texts.
GUIDE_TITLES = {
    "beitritt": _l("Beitritt"),
    "datensparsamkeit": _l("Datensparsamkeit"),
    "besondere-kategorien": _l("Besonders geschützte Daten"),
    "weitergabe": _l("Weitergabe an Dritte"),
    "mitgliederlisten": _l("Mitgliederlisten"),
    "veroeffentlichung": _l("Veröffentlichungen und Fotos"),
    "rundmails": _l("Rundmails und Newsletter"),
    "private-geraete": _l("Private Geräte"),
    "loeschfristen": _l("Löschfristen"),
    "auskunft": _l("Auskunft und Betroffenenrechte"),
    "minderjaehrige": _l("Minderjährige"),
    "datenpanne": _l("Datenpannen"),
    "online-werkzeuge": _l("Online-Werkzeuge"),
    "informationspflichten": _l("Informationspflichten"),
    "datenschutzbeauftragter": _l("Datenschutzbeauftragte"),
    "verarbeitungsverzeichnis": _l("Verarbeitungsverzeichnis"),
    "sicherheit": _l("Sicherheit"),
    "website": _l("Website"),
}
GUIDE_CHAPTERS = tuple(GUIDE_TITLES)
REQUIRED = (
    "id",
    "topic",
    "severity",
    "question",
    "question_en",
    "why",
    "why_en",
    "legal_basis",
    "action",
    "action_en",
    "reviewed",
    "sources",
)


class ContentError(ValueError):
    pass


def read_file(path: str = CONTENT_FILE) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _hash(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def item_hash(raw: dict) -> str:
    """What makes an answer outdated: question, severity, legal basis, conditions."""
    return _hash(
        [raw["question"].strip(), raw["severity"], raw["legal_basis"].strip(), sorted(raw.get("applies_if") or [])]
    )


def validate(data: dict) -> None:
    if not isinstance(data, dict) or not data.get("topics") or not data.get("items"):
        raise ContentError("Die Datei braucht 'topics' und 'items'.")
    topic_keys = [t.get("key") for t in data["topics"]]
    if len(set(topic_keys)) != len(topic_keys) or not all(topic_keys):
        raise ContentError("Themen-Schlüssel fehlen oder sind doppelt.")
    for topic in data["topics"]:
        if not topic.get("title") or not topic.get("title_en"):
            raise ContentError(f"Thema {topic['key']}: Titel fehlt.")
    seen = set()
    for raw in data["items"]:
        missing = [f for f in REQUIRED if not raw.get(f)]
        if missing:
            raise ContentError(f"Punkt {raw.get('id')}: es fehlt {', '.join(missing)}.")
        if raw["id"] in seen:
            raise ContentError(f"Punkt {raw['id']} ist doppelt.")
        seen.add(raw["id"])
        if raw["topic"] not in topic_keys:
            raise ContentError(f"Punkt {raw['id']}: unbekanntes Thema {raw['topic']}.")
        if raw["severity"] not in SEVERITIES:
            raise ContentError(f"Punkt {raw['id']}: Gewichtung muss Pflicht, Empfehlung oder Tipp sein.")
        for flag in raw.get("applies_if") or []:
            if flag not in PROFILE_FLAGS:
                raise ContentError(f"Punkt {raw['id']}: unbekannte Profilfrage {flag}.")
        for chapter in raw.get("guide") or []:
            if chapter not in GUIDE_CHAPTERS:
                raise ContentError(f"Punkt {raw['id']}: unbekanntes Leitfaden-Kapitel {chapter}.")
        try:
            parse_reviewed(raw["reviewed"])
            parse_sources(raw["sources"])
        except SourceError as exc:
            raise ContentError(f"Punkt {raw['id']}: {exc}") from None


def publish(data: dict, note: str | None = None) -> ChecklistVersion:
    """Publish ``data`` as the next content version (the caller commits)."""
    validate(data)
    previous = current_version()
    old_items = {item.key: item for item in current_items()} if previous else {}
    old_hashes = {key: item.content_hash for key, item in old_items.items()}
    version = ChecklistVersion(number=(previous.number + 1) if previous else 1, content_hash=_hash(data), note=note)
    db.session.add(version)
    db.session.flush()
    for position, topic in enumerate(data["topics"]):
        db.session.add(
            ChecklistTopic(
                version_id=version.id,
                key=topic["key"],
                position=position,
                title_de=topic["title"].strip(),
                title_en=topic["title_en"].strip(),
            )
        )
    for position, raw in enumerate(data["items"]):
        digest = item_hash(raw)
        change = None
        if previous is not None:
            if raw["id"] not in old_hashes:
                change = "new"
            elif old_hashes[raw["id"]] != digest:
                change = "changed"
        db.session.add(
            ChecklistItem(
                version_id=version.id,
                key=raw["id"],
                topic_key=raw["topic"],
                position=position,
                severity=SEVERITIES[raw["severity"]],
                question_de=raw["question"].strip(),
                question_en=raw["question_en"].strip(),
                why_de=raw["why"].strip(),
                why_en=raw["why_en"].strip(),
                legal_basis=raw["legal_basis"].strip(),
                applies_if=list(raw.get("applies_if") or []),
                chapters=list(raw.get("guide") or []),
                sources=parse_sources(raw["sources"]),
                action_de=raw["action"].strip(),
                action_en=raw["action_en"].strip(),
                reviewed_on=_reviewed_on(raw, old_items.get(raw["id"])),
                content_hash=digest,
                change=change,
            )
        )
    db.session.flush()
    refresh_all_assessments()
    return version


_TEXT_FIELDS = (
    ("question_de", "question"),
    ("question_en", "question_en"),
    ("why_de", "why"),
    ("why_en", "why_en"),
    ("action_de", "action"),
    ("action_en", "action_en"),
    ("legal_basis", "legal_basis"),
)


def _reviewed_on(raw: dict, previous: ChecklistItem | None):
    """The file's "Stand", or the later date staff marked the same text as reviewed (admin review page)."""
    reviewed = parse_reviewed(raw["reviewed"])
    if previous is None or previous.reviewed_on is None or previous.reviewed_on <= reviewed:
        return reviewed
    same = all((getattr(previous, col) or "").strip() == str(raw.get(key) or "").strip() for col, key in _TEXT_FIELDS)
    if same and previous.sources == parse_sources(raw["sources"]):
        return previous.reviewed_on
    return reviewed


def review_entries() -> list[ChecklistItem]:
    """The current items with their "Stand", for the staff review list."""
    return current_items()


def mark_reviewed(key: str, on) -> tuple[ChecklistItem, object]:
    """Set the "Stand" of the current item ``key`` to ``on``; returns the item and the date before.

    The caller audits and commits. Raises ``LookupError`` for an unknown key.
    """
    version = current_version()
    item = None
    if version is not None:
        item = db.session.scalar(
            sa.select(ChecklistItem).where(ChecklistItem.version_id == version.id, ChecklistItem.key == key)
        )
    if item is None:
        raise LookupError(key)
    before = item.reviewed_on
    item.reviewed_on = on
    content_revised(version.id)
    return item, before


def sync(path: str = CONTENT_FILE) -> str:
    """Load the shipped checklist if there is none yet; report differences otherwise."""
    data = read_file(path)
    validate(data)
    version = current_version()
    if version is None:
        version = publish(data, note="Erstveröffentlichung")
        db.session.commit()
        return f"Selbstcheck Version {version.number} geladen ({len(data['items'])} Punkte)."
    if version.content_hash == _hash(data):
        return f"Selbstcheck aktuell (Version {version.number})."
    return f"checklist.yaml weicht von Version {version.number} ab – veröffentlichen mit `flask privacy publish`."
