"""Export and deletion of personal data, club closure. Writes live here."""

from __future__ import annotations

import hashlib
import hmac
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
from ..clubs.models import Club, ClubStatus, ClubStatusChange, Membership
from ..core import csvout
from ..core.audit import AuditEntry, audit_record
from ..core.db import utcnow
from ..core.mail import send_mail
from ..core.signals import club_status_changed, membership_changed
from ..core.urls import external_url
from ..extensions import db
from . import registry
from .models import ClubDeletion, ClubDeletionStep, DataExport
from .registry import former_member
from .retention import category, period

log = logging.getLogger(__name__)


class DataProtectionError(Exception):
    """A user-facing problem (German message)."""


def pseudonym(kind: str, ident) -> str:
    """Stable, non-reversible stand-in for a person or club (same input, same pseudonym)."""
    key = current_app.config["SECRET_KEY"].encode()
    return "p-" + hmac.new(key, f"{kind}:{ident}".encode(), hashlib.sha256).hexdigest()[:16]


def author_label(user) -> str:
    """Display name for content whose author may have deleted the account."""
    return user.name if user is not None else former_member()


# --- collecting data -----------------------------------------------------------------

def user_data(user) -> dict[str, dict[str, list[dict]]]:
    """Everything stored about ``user``: {category: {table: [rows]}}; every declared model appears."""
    data: dict[str, dict[str, list[dict]]] = {}
    for model, policy in registry.declared():
        if policy.user_export is not None:
            rows = policy.user_export(user)
        else:
            clause = registry.user_clause(model, policy, user)
            rows = [registry.row_dict(obj, policy) for obj in registry.rows_for(model, clause)]
        data.setdefault(policy.category, {})[model.__tablename__] = rows
    return data


def club_data(club) -> dict[str, list[dict]]:
    """Everything the club has on the platform: {table: [rows]}.

    Every declared model appears except the staff-only ones (``Policy.staff_only``, e.g. staff notes);
    staff-only columns are left out of the rows, staff-only audit actions out of the audit log.
    """
    data = {}
    for model, policy in registry.declared():
        if policy.staff_only:
            continue
        if policy.club_export is not None:
            rows = policy.club_export(club)
        else:
            clause = registry.club_clause(model, policy, club)
            rows = [registry.row_dict(obj, policy) for obj in registry.rows_for(model, clause)]
        if policy.staff_only_columns:
            rows = [{k: v for k, v in row.items() if k not in policy.staff_only_columns} for row in rows]
        data[model.__tablename__] = rows
    return data


def user_overview(user) -> list[dict]:
    """For "Meine Daten": per category title, purpose, retention and number of entries."""
    counts: dict[str, int] = {}
    for cat, tables in user_data(user).items():
        counts[cat] = counts.get(cat, 0) + sum(len(rows) for rows in tables.values())
    result = []
    for key, count in counts.items():
        cat = category(key)
        result.append({"key": key, "title": cat.title, "purpose": cat.purpose, "retention": cat.retention(),
                       "count": count})
    return result


def _json(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)


def build_user_zip(user) -> bytes:
    data = user_data(user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for cat, tables in data.items():
            zf.writestr(f"{cat}.json", _json(tables))
        sections = [{"key": cat, "title": category(cat).title, "purpose": category(cat).purpose,
                     "retention": category(cat).retention(), "tables": tables} for cat, tables in data.items()]
        zf.writestr("uebersicht.html", render_template("dataprotection/export_summary.html", user=user,
                                                       sections=sections, created_at=utcnow()))
    return buffer.getvalue()


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    if rows:
        fields = sorted({k for row in rows for k in row})
        writer = csvout.dict_writer(out, fields)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v
                             for k, v in row.items()})
    return out.getvalue()


def club_file(declared: registry.ClubFile, club) -> bytes | None:
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
            if content:
                zf.writestr(declared.filename, content)
                files.append((declared.filename, declared.description))
        zf.writestr("LIESMICH.txt", render_template("dataprotection/club_export_readme.txt", club=club,
                                                    tables=sorted(data), files=files, created_at=utcnow()))
    return buffer.getvalue()


# --- personal export files ---------------------------------------------------------------

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
        raise DataProtectionError(_("Der Download-Link ist abgelaufen. Bitte fordern Sie einen neuen Export an.")) \
            from exc
    except BadSignature as exc:
        raise DataProtectionError(_("Der Download-Link ist ungültig.")) from exc
    export = db.session.get(DataExport, payload.get("e"))
    if export is None or export.user_id != user.id or payload.get("u") != user.id:
        raise DataProtectionError(_("Dieser Export existiert nicht (mehr)."))
    if export.is_expired or export.status != "ready" or not os.path.exists(export_path(export)):
        raise DataProtectionError(_("Der Download-Link ist abgelaufen. Bitte fordern Sie einen neuen Export an."))
    return export


def exports_of(user) -> list[DataExport]:
    return list(db.session.scalars(
        sa.select(DataExport).where(DataExport.user_id == user.id, DataExport.expires_at > utcnow())
        .order_by(DataExport.created_at.desc())
    ))


def request_export(user) -> DataExport:
    pending = db.session.scalar(sa.select(DataExport).where(
        DataExport.user_id == user.id, DataExport.status == "pending",
        DataExport.created_at > utcnow() - timedelta(hours=1)))
    if pending is not None:
        raise DataProtectionError(_("Ihr Export wird schon vorbereitet. Sie bekommen eine E-Mail, sobald er "
                                    "fertig ist."))
    export = DataExport(user_id=user.id, status="pending", filename=f"{secrets.token_hex(16)}.zip",
                        expires_at=utcnow() + timedelta(hours=period("DATA_EXPORT_EXPIRY_HOURS")))
    db.session.add(export)
    audit_record("privacy.export_requested", actor=user)
    db.session.flush()
    from .tasks import prepare_user_export

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
    send_mail(user.email, _("Ihr Datenexport ist fertig"), "dataprotection/email/export_ready", user=user,
              link=link, hours=period("DATA_EXPORT_EXPIRY_HOURS"))
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
    db.session.execute(sa.delete(DataExport).where(DataExport.user_id == user.id)
                       .execution_options(synchronize_session=False))


# --- erasing a person ------------------------------------------------------------------

def _null_columns(model, cols, ident) -> None:
    for col in cols:
        if not col.nullable:
            raise RuntimeError(f"{model.__tablename__}.{col.name} must be nullable to keep rows without the owner")
        db.session.execute(sa.update(model).where(col == ident).values({col.key: None})
                           .execution_options(synchronize_session=False))


def erase_user(user, *, reason: str = "request") -> str:
    """Delete the person: own data deleted, club content kept anonymously, audit pseudonymised.

    The caller checks the last-board-member rule first. Returns the pseudonym.
    """
    user_model = type(user)
    uid = user.id
    pid = pseudonym("user", uid)
    left = [(m.club_id, m.role) for m in db.session.scalars(sa.select(Membership).where(Membership.user_id == uid))]
    for model, policy in reversed(registry.declared()):  # dependants first
        action = policy.on_user_delete
        if action == "self":
            continue
        if callable(action):
            action(user, pid)
        elif action == "delete":
            clause = registry.user_clause(model, policy, user)
            if clause is not None:
                db.session.execute(sa.delete(model).where(clause).execution_options(synchronize_session=False))
        else:  # pseudonymise / keep-with-club: the content stays, the reference goes
            _null_columns(model, registry.user_columns(model), uid)
    audit_record("account.deleted", actor=None, pseudonym=pid, reason=reason)
    db.session.execute(sa.delete(user_model).where(user_model.id == uid).execution_options(synchronize_session=False))
    db.session.commit()
    db.session.expire_all()
    for club_id, _role in left:
        club = db.session.get(Club, club_id)
        if club is not None:
            membership_changed.send(club, user_id=uid, role=None)
    return pid


REMOVED = "[entfernt]"


def _scrub(value, *, uid: int, pid: str):
    """One audit entry that references the person by id: their id becomes the pseudonym, e-mail addresses go.

    Only called for entries selected by :func:`audit_clause`. An address in such an entry is the
    person's own (old/new address, an invitation to them) or one they typed themselves; names are
    never searched for (the entry may be about others, too).
    """
    if isinstance(value, dict):
        return {k: (pid if k in registry.AUDIT_USER_KEYS and v == uid else _scrub(v, uid=uid, pid=pid))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, uid=uid, pid=pid) for v in value]
    if isinstance(value, str) and "@" in value:
        return REMOVED
    return value


def audit_clause(model, user):
    """Audit entries by the person (actor id) or about them (their id under a key of ``AUDIT_USER_KEYS``).

    Matched by id only: never by name or e-mail address in the details (an account named ``___`` or
    ``Anna`` would otherwise match other people's entries).
    """
    uid = str(user.id)
    return sa.or_(model.actor_id == user.id,
                  *(model.details[key].as_string() == uid for key in registry.AUDIT_USER_KEYS))


def audit_club_clause(model, club):
    """A club's audit log, without the entries only platform staff see (e.g. staff notes)."""
    clause = model.club_id == club.id
    if registry.STAFF_ONLY_AUDIT_ACTIONS:
        clause = sa.and_(clause, model.action.not_in(sorted(registry.STAFF_ONLY_AUDIT_ACTIONS)))
    return clause


def pseudonymise_audit_for_user(user, pid: str) -> None:
    """Audit entries keep what happened and when, but neither id nor e-mail (actor_id NULL + pseudonym)."""
    for entry in db.session.scalars(sa.select(AuditEntry).where(audit_clause(AuditEntry, user))):
        details = _scrub(dict(entry.details or {}), uid=user.id, pid=pid)
        if entry.actor_id == user.id:
            details["actor"] = pid
            entry.actor_id = None
        entry.details = details
    db.session.flush()


def pseudonymise_audit_for_club(club, pid: str) -> None:
    """After a club is deleted its audit entries keep action and time only."""
    for entry in db.session.scalars(sa.select(AuditEntry).where(AuditEntry.club_id == club.id)):
        entry.details = {"club": pid}
        entry.club_id = None
    db.session.flush()


# --- club closure ------------------------------------------------------------------------

def closure_step_names() -> list[str]:
    """The steps of a club's deletion: the other domains' clean-up (registry.declare_closure_step), then "data"."""
    return [*registry.CLOSURE_STEPS, "data"]


def active_closure(club) -> ClubDeletion | None:
    return db.session.scalar(sa.select(ClubDeletion).where(
        ClubDeletion.club_id == club.id, ClubDeletion.restored_at.is_(None), ClubDeletion.completed_at.is_(None)))


def _status_change(club, new_status, by, reason=None):
    old = club.status
    club.status = new_status
    db.session.add(ClubStatusChange(club_id=club.id, old_status=old, new_status=new_status, reason=reason,
                                    changed_by_id=getattr(by, "id", None)))
    return old


def request_closure(club, *, by) -> ClubDeletion:
    if club.status is ClubStatus.CLOSED or active_closure(club) is not None:
        raise DataProtectionError(_("Dieser Verein ist schon geschlossen."))
    grace = period("CLUB_DELETION_GRACE_DAYS")
    deletion = ClubDeletion(club_id=club.id, club_pseudonym=pseudonym("club", club.id),
                            previous_status=club.status.value, requested_by_id=by.id,
                            delete_after=utcnow() + timedelta(days=grace))
    deletion.steps = [ClubDeletionStep(name=name, position=i) for i, name in enumerate(closure_step_names())]
    db.session.add(deletion)
    old = _status_change(club, ClubStatus.CLOSED, by, reason=_("Vom Vorstand geschlossen"))
    audit_record("club.closed", actor=by, club=club, grace_days=grace)
    db.session.commit()
    club_status_changed.send(club, old=old, new=ClubStatus.CLOSED)
    return deletion


def restore_closure(deletion: ClubDeletion, *, by) -> None:
    if deletion.restored_at is not None or deletion.completed_at is not None or deletion.club is None:
        raise DataProtectionError(_("Dieser Verein kann nicht mehr wiederhergestellt werden."))
    if any(step.status in ("done", "skipped") for step in deletion.steps):
        raise DataProtectionError(_("Die Löschung hat schon begonnen; der Verein kann nicht mehr "
                                    "wiederhergestellt werden."))
    club = deletion.club
    new = ClubStatus(deletion.previous_status)
    old = _status_change(club, new, by, reason=_("Wiederhergestellt"))
    deletion.restored_at = utcnow()
    deletion.restored_by_id = by.id
    audit_record("club.restored", actor=by, club=club)
    db.session.commit()
    club_status_changed.send(club, old=old, new=new)


def due_closures() -> list[ClubDeletion]:
    return list(db.session.scalars(sa.select(ClubDeletion).where(
        ClubDeletion.restored_at.is_(None), ClubDeletion.completed_at.is_(None),
        ClubDeletion.delete_after <= utcnow()).order_by(ClubDeletion.delete_after)))


unfinished_closures = due_closures


def closures() -> list[ClubDeletion]:
    return list(db.session.scalars(sa.select(ClubDeletion).order_by(ClubDeletion.requested_at.desc()).limit(200)))


def _external_step(name: str, club) -> tuple[str, str]:
    """Run another domain's clean-up of a closed club (e.g. BigBlueButton, Mattermost; see the registry)."""
    step = registry.CLOSURE_STEPS.get(name)
    if step is None:  # declared when the deletion was requested, gone since (the domain was removed)
        return "skipped", _("Entfällt.")
    result = step.run(club)
    return "done", str(result) if result not in (None, True) else "erledigt"


def erase_club_data(club) -> str:
    cid = club.id
    pid = pseudonym("club", cid)
    for model, policy in reversed(registry.declared()):
        action = policy.on_club_delete
        if action == "self":
            continue
        if callable(action):
            action(club, pid)
        elif action == "delete":
            clause = registry.club_clause(model, policy, club)
            if clause is not None:
                db.session.execute(sa.delete(model).where(clause).execution_options(synchronize_session=False))
        else:
            _null_columns(model, registry.club_columns(model), cid)
    club_model = type(club)
    db.session.execute(sa.delete(club_model).where(club_model.id == cid).execution_options(synchronize_session=False))
    return pid


def execute_deletion(deletion: ClubDeletion) -> bool:
    """Run the pending steps in order; stops at the first failure. True when everything is done."""
    if deletion.completed_at is not None:
        return True
    if deletion.restored_at is not None or deletion.delete_after > utcnow():
        return False
    for step in deletion.steps:
        if step.status in ("done", "skipped"):
            continue
        step.attempts += 1
        step.updated_at = utcnow()
        club = deletion.club
        try:
            if step.name == "data":
                if club is not None:
                    erase_club_data(club)
                status, result = "done", "erledigt"
            elif club is None:
                status, result = "skipped", "Verein nicht mehr vorhanden."
            else:
                status, result = _external_step(step.name, club)
        except Exception as exc:  # noqa: BLE001 - recorded and retried
            db.session.rollback()
            step = db.session.get(ClubDeletionStep, step.id)
            step.attempts = (step.attempts or 0) + 1
            step.updated_at = utcnow()
            step.status = "failed"
            step.last_error = f"{type(exc).__name__}: {exc}"[:1000]
            db.session.commit()
            log.warning("club deletion %s step %s failed: %s", deletion.id, step.name, exc)
            return False
        step.status, step.result, step.last_error = status, result, None
        step.done_at = utcnow()
        db.session.commit()
    deletion.completed_at = utcnow()
    audit_record("club.deleted", actor=None, club_pseudonym=deletion.club_pseudonym)
    db.session.commit()
    return True


# --- the generated privacy policy ------------------------------------------------------------

def _host(url: str | None) -> str | None:
    if not url:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.hostname or url


def privacy_facts() -> dict:
    """What the privacy policy states, read from the running configuration."""
    from .retention import CATEGORIES, periods

    config = current_app.config
    processors = [{"purpose": _("Betrieb der Plattform (Webserver, Datenbank)"), "host": _host(config["BASE_URL"])}]
    if config.get("MAIL_SERVER"):
        processors.append({"purpose": _("Versand von E-Mails (Bestätigungen, Einladungen, Benachrichtigungen)"),
                           "host": config["MAIL_SERVER"]})
    if config.get("BBB_API_URL"):
        processors.append({"purpose": _("Videokonferenzen (BigBlueButton)"), "host": _host(config["BBB_API_URL"])})
    if config.get("MATTERMOST_URL"):
        processors.append({"purpose": _("Team-Chat (Mattermost)"), "host": _host(config["MATTERMOST_URL"])})
    cookies = [{"name": config["SESSION_COOKIE_NAME"],
                "purpose": _("Anmeldung und Schutz von Formularen; endet mit der Sitzung "
                             "(höchstens %(days)s Tage).", days=config["PERMANENT_SESSION_LIFETIME"].days)},
               {"name": config.get("REMEMBER_COOKIE_NAME", "remember_token"),
                "purpose": _("Nur wenn Sie „Angemeldet bleiben“ wählen: hält Sie %(days)s Tage angemeldet.",
                             days=config["REMEMBER_COOKIE_DURATION"].days)}]
    return {
        "controller": config.get("PRIVACY_CONTROLLER"),
        "processors": processors,
        "categories": [{"title": c.title, "purpose": c.purpose, "retention": c.retention()}
                       for c in CATEGORIES.values()],
        "periods": periods(),
        "cookies": cookies,
    }
