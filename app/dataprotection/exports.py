"""Exports: a person's data as a ZIP by e-mail link ("Meine Daten"), a club's data as a download."""

from __future__ import annotations

import io
import json
import logging
import os
import secrets
import zipfile
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..auth.models import User
from ..core import csvout
from ..core.audit import audit_record
from ..core.db import utcnow
from ..core.mail import send_mail
from ..core.urls import external_url
from ..extensions import db
from . import registry
from .models import DataExport
from .retention import category, period
from .services import DataProtectionError, club_data, user_data

log = logging.getLogger(__name__)


def _json(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)


def build_user_zip(user) -> bytes:
    data = user_data(user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for cat, tables in data.items():
            zf.writestr(f"{cat}.json", _json(tables))
        sections = [
            {
                "key": cat,
                "title": category(cat).title,
                "purpose": category(cat).purpose,
                "retention": category(cat).retention(),
                "tables": tables,
            }
            for cat, tables in data.items()
        ]
        zf.writestr(
            "uebersicht.html",
            render_template("dataprotection/export_summary.html", user=user, sections=sections, created_at=utcnow()),
        )
    return buffer.getvalue()


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    if rows:
        fields = sorted({k for row in rows for k in row})
        writer = csvout.dict_writer(out, fields)
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {k: json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v for k, v in row.items()}
            )
    return out.getvalue()


def club_file(declared: registry.ClubFile, club) -> bytes | dict[str, bytes] | None:
    """A file another domain adds to the club's export (e.g. the self-check PDF); None when it fails."""
    try:
        return declared.build(club)
    except Exception:  # noqa: BLE001 - the export must not fail because of one file
        log.exception("%s for the club export failed", declared.filename)
        return None


def build_club_zip(club) -> bytes:
    data = club_data(club)
    buffer = io.BytesIO()
    files = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("verein.json", _json(data))
        for table, rows in data.items():
            zf.writestr(f"csv/{table}.csv", _csv(rows))
        for declared in registry.CLUB_FILES.values():
            content = club_file(declared, club)
            if isinstance(content, dict):  # a folder: {name inside it: bytes}
                for name, data in content.items():
                    zf.writestr(declared.filename + name, data)
            elif content:
                zf.writestr(declared.filename, content)
            if content:
                files.append((declared.filename, declared.description))
        zf.writestr(
            "LIESMICH.txt",
            render_template(
                "dataprotection/club_export_readme.txt",
                club=club,
                tables=sorted(data),
                files=files,
                created_at=utcnow(),
            ),
        )
    return buffer.getvalue()


def export_club(club, *, by) -> bytes:
    """The club's export for its board; recorded in the audit log."""
    data = build_club_zip(club)
    audit_record("club.exported", actor=by, club=club)
    db.session.commit()
    return data


# --- personal export files -------------------------------------------------------------------------


def export_dir() -> str:
    path = current_app.config.get("DATA_EXPORT_DIR") or os.path.join(current_app.instance_path, "exports")
    os.makedirs(path, exist_ok=True)
    return path


def export_path(export: DataExport) -> str:
    return os.path.join(export_dir(), export.filename)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="data-export")


def export_token(export: DataExport) -> str:
    return _serializer().dumps({"e": export.id, "u": export.user_id})


def read_export_token(token: str, user) -> DataExport:
    max_age = period("DATA_EXPORT_EXPIRY_HOURS") * 3600
    try:
        payload = _serializer().loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise DataProtectionError(
            _("Der Download-Link ist abgelaufen. Bitte fordern Sie einen neuen Export an.")
        ) from exc
    except BadSignature as exc:
        raise DataProtectionError(_("Der Download-Link ist ungültig.")) from exc
    export = db.session.get(DataExport, payload.get("e"))
    if export is None or export.user_id != user.id or payload.get("u") != user.id:
        raise DataProtectionError(_("Dieser Export existiert nicht (mehr)."))
    if export.is_expired or export.status != "ready" or not os.path.exists(export_path(export)):
        raise DataProtectionError(_("Der Download-Link ist abgelaufen. Bitte fordern Sie einen neuen Export an."))
    return export


def exports_of(user) -> list[DataExport]:
    return list(
        db.session.scalars(
            sa.select(DataExport)
            .where(DataExport.user_id == user.id, DataExport.expires_at > utcnow())
            .order_by(DataExport.created_at.desc())
        )
    )


def request_export(user) -> DataExport:
    pending = db.session.scalar(
        sa.select(DataExport).where(
            DataExport.user_id == user.id,
            DataExport.status == "pending",
            DataExport.created_at > utcnow() - timedelta(hours=1),
        )
    )
    if pending is not None:
        raise DataProtectionError(
            _("Ihr Export wird schon vorbereitet. Sie bekommen eine E-Mail, sobald er fertig ist.")
        )
    export = DataExport(
        user_id=user.id,
        status="pending",
        filename=f"{secrets.token_hex(16)}.zip",
        expires_at=utcnow() + timedelta(hours=period("DATA_EXPORT_EXPIRY_HOURS")),
    )
    db.session.add(export)
    audit_record("privacy.export_requested", actor=user)
    db.session.flush()
    from .tasks import prepare_user_export  # tasks imports this module: the job is looked up when queued

    # Queued before the commit: when the queue is down, JobQueueUnavailable rolls all of this back
    # (503, nothing written); the job waits for this commit (core/jobs.py ``committed``).
    prepare_user_export(export.id)
    db.session.commit()
    return export


def prepare_export(export_id: int) -> DataExport | None:
    """Build the ZIP, store it, mail the link. Run by the background task."""
    export = db.session.get(DataExport, export_id)
    if export is None or export.status == "ready":
        return export
    user = db.session.get(User, export.user_id)
    data = build_user_zip(user)
    path = export_path(export)
    tmp = path + ".part"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
    export.status = "ready"
    export.size = len(data)
    export.ready_at = utcnow()
    db.session.commit()
    link = external_url("dataprotection.download_export", token=export_token(export))
    send_mail(
        user.email,
        _("Ihr Datenexport ist fertig"),
        "dataprotection/email/export_ready",
        user=user,
        link=link,
        hours=period("DATA_EXPORT_EXPIRY_HOURS"),
    )
    return export


def _remove_file(export: DataExport) -> None:
    for path in (export_path(export), export_path(export) + ".part"):
        try:
            os.remove(path)
        except FileNotFoundError:
            pass


def purge_expired_exports(dry_run: bool = False) -> int:
    expired = list(db.session.scalars(sa.select(DataExport).where(DataExport.expires_at <= utcnow())))
    if not dry_run:
        for export in expired:
            _remove_file(export)
            db.session.delete(export)
        db.session.commit()
    return len(expired)


def delete_exports_of_user(user, _pseudonym=None) -> None:
    for export in db.session.scalars(sa.select(DataExport).where(DataExport.user_id == user.id)):
        _remove_file(export)
    db.session.execute(
        sa.delete(DataExport).where(DataExport.user_id == user.id).execution_options(synchronize_session=False)
    )
