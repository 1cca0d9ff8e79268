"""Two-factor login: TOTP (RFC 6238) with recovery codes; the half-logged-in marker between the two steps.

- The TOTP secret is stored encrypted (Fernet) with a key derived from ``TOTP_ENCRYPTION_KEY``, or from
  ``SECRET_KEY`` when that setting is empty. It only counts once a first valid code confirmed it.
- A code is accepted for the current 30-second step and one step either side, and never for a step at or
  before the last one accepted (a replayed code, or an older one, is refused; one atomic UPDATE decides).
- Ten recovery codes are shown once and stored as keyed hashes; each works once (atomic UPDATE);
  regenerating replaces all of them.
- Enrolment and removal rotate the session token (every other session ends) and are audited and mailed.
- Between password and second step the session holds only a signed, short-lived marker
  (``TWO_FACTOR_LOGIN_MAX_AGE``) that Flask-Login does not know: it grants nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, session
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import Markup

from ..core.audit import audit_record
from ..core.db import utcnow
from ..core.mail import try_send_mail
from ..core.urls import external_url
from ..extensions import db
from .models import Passkey, RecoveryCode, TotpSecret, User

RECOVERY_CODE_COUNT = 10
#: Recovery code alphabet: lower-case letters and digits without look-alikes (0/o, 1/l/i).
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_GROUP = 5  # two groups of five: "abcde-fghjk" (about 49 bits)
TOTP_DIGITS = 6
MARKER_KEY = "two_factor_login"


class TwoFactorError(Exception):
    """A user-facing problem (German message, safe to show)."""


# --- keys ------------------------------------------------------------------------------------------


def derived_key(purpose: bytes) -> bytes:
    material = current_app.config.get("TOTP_ENCRYPTION_KEY") or current_app.config["SECRET_KEY"]
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"vereinsraum:" + purpose).derive(
        material.encode()
    )


def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(derived_key(b"totp-secret")))


def encrypt_secret(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt_secret(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # the key changed (SECRET_KEY without TOTP_ENCRYPTION_KEY)
        raise TwoFactorError(
            _(
                "Ihr Code kann gerade nicht geprüft werden. Bitte melden Sie sich mit einem Wiederherstellungscode "
                "an und richten Sie die Zwei-Faktor-Anmeldung neu ein."
            )
        ) from exc


def hash_recovery_code(code: str) -> str:
    return hmac.new(derived_key(b"recovery-code"), code.encode(), hashlib.sha256).hexdigest()


# --- codes -----------------------------------------------------------------------------------------


def code_problem(value: str | None, *, recovery: bool = False) -> str | None:
    """What is wrong with a typed code, as a German sentence (None: the shape is right)."""
    if value is None or value == "":
        if recovery:
            return _("Bitte geben Sie einen Ihrer Wiederherstellungscodes ein.")
        return _("Bitte geben Sie den sechsstelligen Code aus Ihrer App ein.")
    if any(ch.isspace() for ch in value):
        return _("Bitte geben Sie den Code ohne Leerzeichen ein.")
    if recovery:
        plain = value.lower().replace("-", "", 1)
        if len(plain) != 2 * RECOVERY_GROUP or any(ch not in RECOVERY_ALPHABET for ch in plain):
            return _("Ein Wiederherstellungscode hat zehn Zeichen, zum Beispiel „abcde-fghjk“.")
        return None
    if not value.isascii() or not value.isdigit():
        return _("Der Code besteht nur aus Ziffern.")
    if len(value) != TOTP_DIGITS:
        return _("Der Code hat genau sechs Ziffern.")
    return None


def _matching_step(secret: str, code: str, now: datetime | None = None) -> int | None:
    """The time step (now, or one either side) whose code is ``code``."""
    totp = pyotp.TOTP(secret)
    step = totp.timecode(now or datetime.now())
    for candidate in (step - 1, step, step + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def _wrong_code() -> TwoFactorError:
    return TwoFactorError(_("Der Code stimmt nicht. Bitte geben Sie den aktuellen Code aus Ihrer App ein."))


def _use_step(totp: TotpSecret, step: int) -> bool:
    """Take ``step`` if no later or equal step was taken before (one UPDATE: two requests with one code cannot
    both succeed)."""
    result = db.session.execute(
        sa.update(TotpSecret)
        .where(TotpSecret.user_id == totp.user_id, TotpSecret.last_used_step < step)
        .values(last_used_step=step)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def check_totp(user: User, code: str) -> None:
    """Accept a current TOTP code of an account with two-factor login on (and mark its step used), or raise."""
    totp = user.totp
    if totp is None or totp.confirmed_at is None:
        raise _wrong_code()
    step = _matching_step(decrypt_secret(totp.encrypted_secret), code)
    if step is None:
        raise _wrong_code()
    if not _use_step(totp, step):
        db.session.rollback()
        raise TwoFactorError(
            _("Diesen Code haben Sie schon benutzt. Bitte warten Sie auf den nächsten Code Ihrer App.")
        )
    db.session.commit()
    db.session.refresh(totp)


def use_recovery_code(user: User, code: str) -> None:
    """Spend one unused recovery code, or raise (the same code never works twice)."""
    normalised = code.lower().replace("-", "", 1)
    result = db.session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == hash_recovery_code(normalised),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise TwoFactorError(_("Dieser Wiederherstellungscode stimmt nicht oder wurde schon benutzt."))
    audit_record("account.recovery_code_used", actor=user, user_id=user.id, left=unused_recovery_codes(user))
    db.session.commit()


def check_code_or_recovery(user: User, code: str) -> None:
    """For turning 2FA off: a current app code or an unused recovery code."""
    if code_problem(code) is None:
        check_totp(user, code)
    elif code_problem(code, recovery=True) is None:
        use_recovery_code(user, code)
    else:
        raise _wrong_code()


def unused_recovery_codes(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(
        sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id).execution_options(synchronize_session=False)
    )
    codes = []
    while len(codes) < RECOVERY_CODE_COUNT:
        plain = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(2 * RECOVERY_GROUP))
        if plain not in codes:
            codes.append(plain)
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=hash_recovery_code(c)) for c in codes)
    return [f"{c[:RECOVERY_GROUP]}-{c[RECOVERY_GROUP:]}" for c in codes]


# --- enrolment ---------------------------------------------------------------------------------------


def start_enrolment(user: User) -> None:
    """A new, unconfirmed secret (replacing an earlier unconfirmed one)."""
    if user.has_two_factor:
        raise TwoFactorError(_("Die Zwei-Faktor-Anmeldung ist schon eingerichtet."))
    secret = pyotp.random_base32()  # 32 base32 characters: 160 bits
    if user.totp is None:
        db.session.add(TotpSecret(user_id=user.id, encrypted_secret=encrypt_secret(secret)))
    else:
        user.totp.encrypted_secret = encrypt_secret(secret)
        user.totp.created_at = utcnow()
        user.totp.last_used_step = 0
    db.session.commit()
    db.session.refresh(user)


def pending_secret(user: User) -> str | None:
    """The secret waiting for its first code (None when there is none or it is already confirmed)."""
    totp = user.totp
    if totp is None or totp.confirmed_at is not None:
        return None
    try:
        return decrypt_secret(totp.encrypted_secret)
    except TwoFactorError:
        return None


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=current_app.config["TOTP_ISSUER"])


def qr_svg(uri: str) -> Markup:
    """The QR code as inline SVG (no style attribute or element, so it passes the strict CSP)."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=4,
        border=4,
        dark="#000",
        light="#fff",
        svgclass="qr-code",
        lineclass=None,
        title=_("QR-Code für Ihre Authenticator-App"),
        svgid="totp-qr",
    )
    svg = svg.replace("<svg ", '<svg role="img" aria-labelledby="totp-qr-title" ', 1)
    svg = svg.replace("<title>", '<title id="totp-qr-title">', 1)
    return Markup(svg)  # noqa: S704 - segno's own markup, the URI inside is escaped by segno


def spaced_secret(secret: str) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def confirm_enrolment(user: User, code: str) -> list[str]:
    """The first valid code turns two-factor login on. Returns the recovery codes (shown once)."""
    secret = pending_secret(user)
    if secret is None:
        raise TwoFactorError(_("Bitte starten Sie die Einrichtung neu."))
    step = _matching_step(secret, code)
    if step is None:
        raise _wrong_code()
    totp = user.totp
    totp.confirmed_at = utcnow()
    totp.last_used_step = step
    codes = _new_recovery_codes(user)
    user.end_sessions()  # every other session ends; the caller logs this browser in again
    audit_record("account.two_factor_enabled", actor=user, user_id=user.id)
    db.session.commit()
    _notify(user, "enabled")
    return codes


def regenerate_recovery_codes(user: User) -> list[str]:
    if not user.has_two_factor:
        raise TwoFactorError(_("Die Zwei-Faktor-Anmeldung ist nicht eingerichtet."))
    codes = _new_recovery_codes(user)
    audit_record("account.recovery_codes_regenerated", actor=user, user_id=user.id)
    db.session.commit()
    _notify(user, "recovery-codes")
    return codes


def disable(user: User, *, by_operator: bool = False) -> None:
    """Turn two-factor login off: secret, recovery codes and passkeys go; every other session ends.
    ``by_operator``: ``flask reset-two-factor`` (no actor; the entry says so)."""
    for model in (RecoveryCode, Passkey, TotpSecret):
        db.session.execute(
            sa.delete(model).where(model.user_id == user.id).execution_options(synchronize_session=False)
        )
    user.end_sessions()
    if by_operator:
        audit_record("account.two_factor_disabled", user_id=user.id, by="operator")
    else:
        audit_record("account.two_factor_disabled", actor=user, user_id=user.id)
    db.session.commit()
    db.session.expire(user)
    _notify(user, "disabled")


SUBJECTS = {
    "enabled": lambda: _("Zwei-Faktor-Anmeldung eingeschaltet"),
    "disabled": lambda: _("Zwei-Faktor-Anmeldung ausgeschaltet"),
    "recovery-codes": lambda: _("Neue Wiederherstellungscodes"),
    "passkey-added": lambda: _("Neuer Passkey für Ihr Konto"),
    "passkey-removed": lambda: _("Passkey entfernt"),
}


def _notify(user: User, change: str, **context) -> None:
    """Tell the account's address about a change of its login (after the commit; a mail failure is logged)."""
    try_send_mail(
        user.email,
        SUBJECTS[change](),
        "auth/email/two_factor_changed",
        user=user,
        change=change,
        link=external_url("auth.settings"),
        **context,
    )


def notify(user: User, change: str, **context) -> None:
    _notify(user, change, **context)


# --- the half-logged-in state ---------------------------------------------------------------------


def _fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def _marker_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="two-factor-login")


def start_second_step(user: User, *, remember: bool, next_url: str | None) -> None:
    """The password was right: remember (signed, for minutes) who is between the two steps. Grants nothing."""
    session.pop("_user_id", None)
    session[MARKER_KEY] = _marker_serializer().dumps(
        {
            "uid": user.id,
            "pw": _fingerprint(user.password_hash),
            "st": _fingerprint(user.session_token),
            "remember": bool(remember),
            "next": next_url,
        }
    )


def second_step_state() -> tuple[User, dict] | None:
    """The account waiting for its second step, and the marker (None: none, expired, or the account changed)."""
    raw = session.get(MARKER_KEY)
    if not raw or not isinstance(raw, str):
        return None
    try:
        payload = _marker_serializer().loads(raw, max_age=current_app.config["TWO_FACTOR_LOGIN_MAX_AGE"])
    except BadSignature:  # SignatureExpired included
        return None
    user = db.session.get(User, payload.get("uid"))
    if (
        user is None
        or payload.get("pw") != _fingerprint(user.password_hash)
        or payload.get("st") != _fingerprint(user.session_token)
        or not user.has_two_factor
    ):
        return None
    return user, payload


def end_second_step() -> None:
    session.pop(MARKER_KEY, None)
    session.pop("passkey_challenge", None)


def pending_account_key() -> str:
    """Rate-limit key of the account in the second step ("" when there is none: the view refuses anyway)."""
    state = second_step_state()
    return f"user:{state[0].id}" if state else ""
