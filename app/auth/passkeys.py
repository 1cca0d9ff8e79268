"""Passkeys (WebAuthn, the ``webauthn`` library): another way to give the second factor.

A passkey can be added once two-factor login (TOTP) is on; at login it replaces the app code. The relying
party is the host of ``BASE_URL`` (origin: its scheme, host and port); the challenge lives in the session,
signed and bound to the account and the purpose, for ``TWO_FACTOR_LOGIN_MAX_AGE`` seconds, and is used once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, session
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from ..core.audit import audit_record
from ..core.db import utcnow
from ..extensions import db
from .models import Passkey, User
from .twofactor import TwoFactorError, derived_key, notify

CHALLENGE_KEY = "passkey_challenge"
MAX_CREDENTIAL_LENGTH = 64 * 1024  # a WebAuthn response is a few kilobytes at most


def _relying_party() -> tuple[str, str]:
    base = urlsplit(current_app.config["BASE_URL"])
    return base.hostname, f"{base.scheme}://{base.netloc}"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="passkey-challenge")


def _user_handle(user: User) -> bytes:
    """A stable handle that reveals neither id nor address."""
    return hmac.new(derived_key(b"passkey-user"), str(user.id).encode(), hashlib.sha256).digest()


def passkeys_of(user: User) -> list[Passkey]:
    return list(db.session.scalars(sa.select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.id)))


def _remember_challenge(purpose: str, user: User, challenge: bytes) -> None:
    session[CHALLENGE_KEY] = _serializer().dumps({"p": purpose, "uid": user.id, "c": bytes_to_base64url(challenge)})


def _take_challenge(purpose: str, user: User) -> bytes:
    raw = session.pop(CHALLENGE_KEY, None)
    try:
        payload = _serializer().loads(raw or "", max_age=current_app.config["TWO_FACTOR_LOGIN_MAX_AGE"])
    except BadSignature as exc:
        raise TwoFactorError(_("Die Anfrage ist abgelaufen. Bitte versuchen Sie es noch einmal.")) from exc
    if payload.get("p") != purpose or payload.get("uid") != user.id:
        raise TwoFactorError(_("Die Anfrage ist abgelaufen. Bitte versuchen Sie es noch einmal."))
    return base64url_to_bytes(payload["c"])


def _credential(data: str) -> dict:
    if not data or len(data) > MAX_CREDENTIAL_LENGTH:
        raise TwoFactorError(_("Der Passkey hat nicht geantwortet. Bitte versuchen Sie es noch einmal."))
    try:
        credential = json.loads(data)
    except ValueError as exc:
        raise TwoFactorError(_("Der Passkey hat nicht geantwortet. Bitte versuchen Sie es noch einmal.")) from exc
    if not isinstance(credential, dict):
        raise TwoFactorError(_("Der Passkey hat nicht geantwortet. Bitte versuchen Sie es noch einmal."))
    return credential


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    return [PublicKeyCredentialDescriptor(id=p.credential_id) for p in passkeys_of(user)]


# --- registration --------------------------------------------------------------------------------


def registration_options(user: User) -> str:
    if not user.has_two_factor:
        raise TwoFactorError(_("Bitte richten Sie zuerst die Zwei-Faktor-Anmeldung mit einer App ein."))
    rp_id, _origin = _relying_party()
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=current_app.config["TOTP_ISSUER"],
        user_id=_user_handle(user),
        user_name=user.email,
        user_display_name=user.name,
        exclude_credentials=_descriptors(user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    _remember_challenge("register", user, options.challenge)
    return options_to_json(options)


def register(user: User, name: str, data: str) -> Passkey:
    if not user.has_two_factor:
        raise TwoFactorError(_("Bitte richten Sie zuerst die Zwei-Faktor-Anmeldung mit einer App ein."))
    challenge = _take_challenge("register", user)
    rp_id, origin = _relying_party()
    try:
        verified = verify_registration_response(
            credential=_credential(data), expected_challenge=challenge, expected_rp_id=rp_id, expected_origin=origin
        )
    except WebAuthnException as exc:
        raise TwoFactorError(
            _("Der Passkey konnte nicht eingerichtet werden. Bitte versuchen Sie es noch einmal.")
        ) from exc
    passkey = Passkey(
        user_id=user.id,
        name=name.strip(),
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
    )
    db.session.add(passkey)
    try:
        db.session.flush()
    except sa.exc.IntegrityError as exc:
        db.session.rollback()
        raise TwoFactorError(_("Dieser Passkey ist schon eingerichtet.")) from exc
    audit_record("account.passkey_added", actor=user, user_id=user.id, passkey_id=passkey.id)
    db.session.commit()
    notify(user, "passkey-added", name=passkey.name)
    return passkey


def remove(user: User, passkey: Passkey) -> None:
    name = passkey.name
    audit_record("account.passkey_removed", actor=user, user_id=user.id, passkey_id=passkey.id)
    db.session.delete(passkey)
    db.session.commit()
    notify(user, "passkey-removed", name=name)


# --- login -------------------------------------------------------------------------------------------


def authentication_options(user: User) -> str:
    keys = _descriptors(user)
    if not keys:
        raise TwoFactorError(_("Für dieses Konto ist kein Passkey eingerichtet."))
    rp_id, _origin = _relying_party()
    options = generate_authentication_options(
        rp_id=rp_id, allow_credentials=keys, user_verification=UserVerificationRequirement.PREFERRED
    )
    _remember_challenge("login", user, options.challenge)
    return options_to_json(options)


def authenticate(user: User, data: str) -> None:
    """Check a passkey's answer to the login challenge, or raise."""
    challenge = _take_challenge("login", user)
    credential = _credential(data)
    failed = TwoFactorError(
        _("Die Anmeldung mit dem Passkey hat nicht geklappt. Bitte nehmen Sie den Code aus Ihrer App.")
    )
    try:
        raw_id = base64url_to_bytes(str(credential.get("rawId") or credential.get("id") or ""))
    except ValueError as exc:
        raise failed from exc
    passkey = db.session.scalar(sa.select(Passkey).where(Passkey.user_id == user.id, Passkey.credential_id == raw_id))
    if passkey is None:
        raise failed
    rp_id, origin = _relying_party()
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
        )
    except WebAuthnException as exc:
        raise failed from exc
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = utcnow()
    db.session.commit()
