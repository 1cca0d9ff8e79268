"""Evidence on checklist items (issue 18, item 5): uploaded files and dated notes.

Files:
- only PDF, ODT, DOCX, PNG and JPEG, recognised by their content (magic bytes; ODT and DOCX are zip files
  whose members say what they are), never by the browser's content type or the file name;
- at most ``EVIDENCE_MAX_BYTES`` (kept below ``MAX_CONTENT_LENGTH``, which werkzeug enforces first);
- stored outside the web root, in ``EVIDENCE_DIR/<club id>/`` (default ``instance/evidence``) under a random
  name; the uploader's name is kept only as sanitised metadata for the download name;
- served only through the club's routes (tenancy loader), as an attachment.

A club's evidence is read with one query per request (:func:`club_evidence`), whatever the number of items.
Generated documents (the toolkit's record of processing) are evidence through the core's provider hook
(app/core/evidence.py), not rows of this module.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
import unicodedata
import zipfile
from datetime import date, datetime
from io import BytesIO

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_date, ngettext
from flask_babel import gettext as _

from ..core.audit import audit_record
from ..core.db import utcnow
from ..core.evidence import evidence_for
from ..core.i18n import local_tz
from ..core.text import ascii_fold, is_control, looks_like_html
from ..extensions import db
from .models import EvidenceKind, ItemEvidence
from .services import _memo

log = logging.getLogger(__name__)

#: Default size limit of one file (1.5 MiB; the request as a whole may be MAX_CONTENT_LENGTH, 2 MiB).
DEFAULT_MAX_BYTES = 3 * 512 * 1024
#: Room the rest of a multipart request needs besides the file (boundaries, CSRF token, fields).
REQUEST_OVERHEAD = 64 * 1024
NOTE_MAX = 1000
FILE_NAME_MAX = 120

#: kind -> (extension, content type, label)
FILE_TYPES = {
    "pdf": ("pdf", "application/pdf", "PDF"),
    "odt": ("odt", "application/vnd.oasis.opendocument.text", "ODT"),
    "docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "DOCX"),
    "png": ("png", "image/png", "PNG"),
    "jpeg": ("jpg", "image/jpeg", "JPEG"),
}

#: Zip files (ODT/DOCX): limits that refuse zip bombs and odd files before anything is unpacked.
ZIP_MAX_MEMBERS = 1000
ZIP_MAX_UNPACKED = 100 * 1024 * 1024
ZIP_MAX_RATIO = 200
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"

_STORAGE_NAME = re.compile(r"^[0-9a-f]{32}$")
_NOT_IN_NAME = re.compile(r"[^\w .()+-]+")


class EvidenceError(ValueError):
    """Bad input: the message is for the person (German, through gettext); nothing was written."""

    def __init__(self, message: str, field: str = "file"):
        super().__init__(message)
        self.message = message
        self.field = field


# --- settings -----------------------------------------------------------------------------------------


def max_bytes() -> int:
    """The size limit of one file: EVIDENCE_MAX_BYTES, but never more than a request may carry."""
    configured = int(current_app.config.get("EVIDENCE_MAX_BYTES") or DEFAULT_MAX_BYTES)
    request_limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if request_limit:
        configured = min(configured, int(request_limit) - REQUEST_OVERHEAD)
    return max(configured, 1)


def evidence_dir() -> str:
    return current_app.config.get("EVIDENCE_DIR") or os.path.join(current_app.instance_path, "evidence")


def _club_dir(club_id: int) -> str:
    return os.path.join(evidence_dir(), str(int(club_id)))


def file_path(evidence: ItemEvidence) -> str | None:
    name = evidence.storage_name or ""
    if not _STORAGE_NAME.match(name):  # only names this module made; never a path from elsewhere
        return None
    return os.path.join(_club_dir(evidence.club_id), name)


def size_label(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")
    return f"{max(1, round(size / 1024))} KB"


# --- recognising a file by its content --------------------------------------------------------------------


def _refuse_type():
    return EvidenceError(
        _(
            "Diese Datei können wir nicht annehmen. Erlaubt sind PDF, ODT, DOCX, PNG und JPEG; geprüft wird der "
            "Inhalt der Datei, nicht ihr Name."
        )
    )


def _zip_kind(data: bytes) -> str:
    try:
        archive = zipfile.ZipFile(BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise _refuse_type() from None
    if not members or len(members) > ZIP_MAX_MEMBERS:
        raise _refuse_type()
    unpacked = 0
    for member in members:
        if member.flag_bits & 0x1:  # encrypted
            raise EvidenceError(
                _(
                    "Verschlüsselte oder passwortgeschützte Dateien können wir nicht annehmen. Bitte speichern Sie "
                    "die Datei ohne Passwort."
                )
            )
        unpacked += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if unpacked > ZIP_MAX_UNPACKED or (member.file_size > 1024 * 1024 and ratio > ZIP_MAX_RATIO):
            raise _refuse_type()
        if member.filename.startswith(("/", "\\")) or ".." in member.filename.replace("\\", "/").split("/"):
            raise _refuse_type()
    names = {member.filename: member for member in members}
    try:
        # ODT: the first member is "mimetype", stored uncompressed, naming the document type
        if members[0].filename == "mimetype" and members[0].file_size < 200 and "content.xml" in names:
            if archive.read("mimetype").strip() == ODT_MIMETYPE:
                return "odt"
            raise _refuse_type()
        types = names.get("[Content_Types].xml")
        if types is not None and "word/document.xml" in names and types.file_size < 1024 * 1024:
            if DOCX_MAIN in archive.read(types).decode("utf-8", "replace"):
                return "docx"
    except (zipfile.BadZipFile, RuntimeError, ValueError, OSError, EOFError, NotImplementedError):
        raise _refuse_type() from None
    raise _refuse_type()


def sniff(data: bytes) -> str:
    """The file's kind (a key of :data:`FILE_TYPES`) from its first bytes; EvidenceError for anything else."""
    if not data:
        raise EvidenceError(_("Die Datei ist leer. Bitte wählen Sie eine Datei mit Inhalt."))
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    raise _refuse_type()


def clean_file_name(raw: str | None, kind: str) -> str:
    """The uploader's file name as metadata: no path, no control characters, no quotes, at most 120
    characters, and always the extension of the kind found in the content."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in unicodedata.normalize("NFC", name) if not is_control(char))
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = _NOT_IN_NAME.sub("_", stem).strip(" ._")[: FILE_NAME_MAX - 6] or _("Nachweis")
    return f"{stem}.{FILE_TYPES[kind][0]}"


def download_name(evidence: ItemEvidence) -> str:
    """An ASCII name for Content-Disposition (umlauts spelled out)."""
    name = ascii_fold(evidence.file_name or "")
    name = re.sub(r"[^A-Za-z0-9._()+-]+", "_", name).strip("._") or "nachweis"
    return name


# --- reading ------------------------------------------------------------------------------------------


def club_evidence(club) -> dict[str, list[ItemEvidence]]:
    """The club's evidence by item key, oldest first: one query, once per request."""
    memo = _memo()
    key = ("evidence", club.id)
    if memo is not None and key in memo:
        return memo[key]
    grouped: dict[str, list[ItemEvidence]] = {}
    for row in db.session.scalars(
        sa.select(ItemEvidence).where(ItemEvidence.club_id == club.id).order_by(ItemEvidence.id)
    ):
        grouped.setdefault(row.item_key, []).append(row)
    if memo is not None:
        memo[key] = grouped
    return grouped


def _forget(club) -> None:
    memo = _memo()
    if memo is not None:
        memo.pop(("evidence", club.id), None)


def get_evidence(club, item_key: str, evidence_id: int) -> ItemEvidence | None:
    """By id, within the club and item: another club's id is "not found"."""
    return db.session.scalar(
        sa.select(ItemEvidence).where(
            ItemEvidence.id == evidence_id, ItemEvidence.club_id == club.id, ItemEvidence.item_key == item_key
        )
    )


def read_file(evidence: ItemEvidence) -> bytes | None:
    path = file_path(evidence)
    if path is None:
        return None
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        log.warning("evidence file %s of club %s is missing", evidence.id, evidence.club_id)
        return None


def evidence_lines(club, item_key: str, stored: dict | None = None) -> list[str]:
    """An item's evidence as lines of text, for the report (print page, PDF, CSV): what other domains provide
    (the core's hook, e.g. the record of processing), then the club's files and dated notes. ``stored``: the
    club's rows by item (:func:`club_evidence`), read once for all items; by default read here."""
    lines = [line.text for line in evidence_for(club, item_key)]
    rows = stored if stored is not None else club_evidence(club)
    for evidence in rows.get(item_key, ()):
        author = evidence.author_name or "–"
        if evidence.is_file:
            lines.append(
                _(
                    "Datei „%(name)s“, hochgeladen am %(date)s von %(author)s",
                    name=evidence.file_name,
                    date=format_date(evidence.created_at, "medium"),
                    author=author,
                )
            )
        else:
            lines.append(
                _(
                    "Notiz vom %(date)s (%(author)s): %(text)s",
                    date=format_date(evidence.noted_on, "medium"),
                    author=author,
                    text=" ".join(evidence.text.split()),
                )
            )
    return lines


# --- writing ------------------------------------------------------------------------------------------


def read_upload(upload) -> bytes:
    """The uploaded file's bytes, refusing more than the limit without reading further."""
    if upload is None or not getattr(upload, "filename", None):
        raise EvidenceError(_("Bitte wählen Sie eine Datei aus."))
    limit = max_bytes()
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise EvidenceError(
            _(
                "Die Datei ist zu groß (höchstens %(size)s). Bitte verkleinern Sie sie, z. B. als PDF mit geringerer "
                "Auflösung.",
                size=size_label(limit),
            )
        )
    return data


def add_file(club, item_key: str, data: bytes, original_name: str | None, *, by) -> ItemEvidence:
    """Check ``data``, store it under a random name and record it; on any failure nothing is left behind."""
    kind = sniff(data)
    if len(data) > max_bytes():
        raise EvidenceError(_("Die Datei ist zu groß (höchstens %(size)s).", size=size_label(max_bytes())))
    directory = _club_dir(club.id)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    storage_name = secrets.token_hex(16)
    path = os.path.join(directory, storage_name)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    descriptor = os.open(path, flags, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        evidence = ItemEvidence(
            club_id=club.id,
            item_key=item_key,
            kind=EvidenceKind.FILE,
            file_name=clean_file_name(original_name, kind),
            storage_name=storage_name,
            content_type=FILE_TYPES[kind][1],
            size=len(data),
            created_by_id=by.id,
            author_name=by.name,
        )
        _save(club, evidence, by)
    except BaseException:
        db.session.rollback()
        _unlink(path)
        raise
    _forget(club)
    return evidence


def parse_note(text: str | None, noted_on: str | None) -> tuple[str, date]:
    """A note's text and date, or EvidenceError (field "text" or "noted_on")."""
    text = (text or "").strip()
    if not text:
        raise EvidenceError(_("Bitte schreiben Sie, was belegt ist."), "text")
    if len(text) > NOTE_MAX:
        raise EvidenceError(_("Die Notiz darf höchstens %(n)d Zeichen lang sein.", n=NOTE_MAX), "text")
    if looks_like_html(text):
        raise EvidenceError(_("Bitte geben Sie keinen HTML-Code ein (Zeichen wie „<b>“ oder „<script>“)."), "text")
    if any(is_control(char) for char in text if char not in "\n\t"):
        raise EvidenceError(_("Die Notiz darf keine Steuerzeichen enthalten."), "text")
    today = utcnow().astimezone(local_tz()).date()
    raw = (noted_on or "").strip()
    if not raw:
        return text, today
    day = None
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            day = datetime.strptime(raw, fmt).date()
            break
        except ValueError:
            continue
    if day is None or day.year < 2000:
        raise EvidenceError(_("Bitte geben Sie ein gültiges Datum an (TT.MM.JJJJ)."), "noted_on")
    if day > today:
        raise EvidenceError(
            _("Das Datum liegt in der Zukunft. Ein Nachweis belegt, was schon geschehen ist."), "noted_on"
        )
    return text, day


def add_note(club, item_key: str, text: str, noted_on: date, *, by) -> ItemEvidence:
    evidence = ItemEvidence(
        club_id=club.id,
        item_key=item_key,
        kind=EvidenceKind.NOTE,
        text=text,
        noted_on=noted_on,
        created_by_id=by.id,
        author_name=by.name,
    )
    _save(club, evidence, by)
    _forget(club)
    return evidence


def _save(club, evidence: ItemEvidence, by) -> None:
    """Store a new row and say so in the audit log (the item and the id, no content)."""
    db.session.add(evidence)
    db.session.flush()
    kind = "file" if evidence.is_file else "note"
    audit_record(
        "privacy.evidence_added", actor=by, club=club, item=evidence.item_key, evidence_id=evidence.id, kind=kind
    )
    db.session.commit()


def delete_evidence(club, evidence: ItemEvidence, *, by) -> None:
    """Remove the row, then its file (a file whose row is gone is never served)."""
    path = file_path(evidence) if evidence.is_file else None
    audit_record("privacy.evidence_removed", actor=by, club=club, item=evidence.item_key, evidence_id=evidence.id)
    db.session.delete(evidence)
    db.session.commit()
    if path:
        _unlink(path)
    _forget(club)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError:
        log.exception("could not remove evidence file %s", path)


# --- the club's export and deletion (declared in personal_data.py) ------------------------------------------


def export_files(club) -> dict[str, bytes]:
    """Every evidence file of the club: ``<item key>/<id>-<name>`` -> bytes (missing files left out)."""
    files = {}
    for items in club_evidence(club).values():
        for evidence in items:
            if not evidence.is_file:
                continue
            data = read_file(evidence)
            if data is not None:
                files[f"{evidence.item_key}/{evidence.id}-{download_name(evidence)}"] = data
    return files


def delete_club_files(club) -> str:
    """The closure step: remove the club's evidence folder (the rows go with the club's data)."""
    directory = _club_dir(club.id)
    if not os.path.isdir(directory):
        return _("keine Dateien")
    count = len(os.listdir(directory))
    shutil.rmtree(directory)
    return ngettext("%(num)d Datei gelöscht", "%(num)d Dateien gelöscht", count)
