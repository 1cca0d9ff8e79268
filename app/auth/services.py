"""Account operations. Routes stay thin; writes live here."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from ..core.audit import audit_record
from ..core.db import utcnow
from ..core.mail import send_mail
from ..core.signals import account_deleting, account_deletion_blockers, values_from
from ..core.urls import external_url  # links in mails come from BASE_URL only
from ..extensions import db
from .models import User


class AccountError(Exception):
    """A user-facing problem (message is German and safe to show)."""


def confirm_first_message() -> str:
    """Why an account with an unconfirmed address cannot book a workshop place or a consultation slot
    (throwaway accounts must not be able to book everything out)."""
    return _(
        "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse. Erst dann können Sie einen Workshop-Platz oder "
        "einen Termin in der Sprechstunde buchen. Den Bestätigungslink können Sie in Ihrem Konto erneut "
        "anfordern."
    )


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == User.normalise_email(email)))


def create_user(email: str, name: str, password: str, *, staff: bool = False, confirmed: bool = False) -> User:
    if get_user_by_email(email) is not None:
        raise AccountError(_("Für diese E-Mail-Adresse gibt es schon ein Konto."))
    user = User(email=User.normalise_email(email), name=name.strip(), is_staff=staff)
    user.set_password(password)
    if confirmed:
        user.confirm_email()
    db.session.add(user)
    db.session.flush()
    return user


_DUMMY_HASH: str | None = None


def equalise_timing(password: str) -> None:
    """Check a password against a throwaway hash, so unknown addresses take as long as known ones."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = generate_password_hash("dummy-password")  # the same scrypt cost as real hashes
    check_password_hash(_DUMMY_HASH, password)


# --- signed tokens ---------------------------------------------------------


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def make_token(purpose: str, user: User, **extra) -> str:
    # The password fingerprint makes reset links single-use and kills old links after a password change;
    # the e-mail fingerprint binds a link to the address it was sent for. An e-mail change link also carries
    # the session-token fingerprint: applying it rotates that token, so the link works once, and every older
    # change link (say, to a mistyped address) dies with it.
    payload = {"uid": user.id, "pw": _fingerprint(user.password_hash), "em": _fingerprint(user.email), **extra}
    if purpose == "change-email":
        payload["st"] = _fingerprint(user.session_token)
    return _serializer(purpose).dumps(payload)


def _load_token(purpose: str, token: str, max_age: int) -> tuple[User, dict]:
    """The account a signed, unexpired link names (not yet checked against the account's current state)."""
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise AccountError(_("Der Link ist abgelaufen. Bitte fordern Sie einen neuen an.")) from exc
    except BadSignature as exc:
        raise AccountError(_("Der Link ist ungültig.")) from exc
    user = db.session.get(User, payload.get("uid"))
    if user is None:
        raise AccountError(_("Der Link ist ungültig oder wurde schon benutzt."))
    return user, payload


def _check_current(purpose: str, user: User, payload: dict) -> None:
    current = payload.get("pw") == _fingerprint(user.password_hash) and payload.get("em") == _fingerprint(user.email)
    if purpose == "change-email":
        current = current and payload.get("st") == _fingerprint(user.session_token)
    if not current:
        raise AccountError(_("Der Link ist ungültig oder wurde schon benutzt."))


def read_token(purpose: str, token: str, max_age: int) -> tuple[User, dict]:
    user, payload = _load_token(purpose, token, max_age)
    _check_current(purpose, user, payload)
    return user, payload


# --- e-mails -----------------------------------------------------------------
# Mails to an address nobody has confirmed yet carry no text the registrant chose (no display name):
# otherwise anyone could send a phishing text from our own sender to any address.


def send_confirmation(user: User) -> None:
    link = external_url("auth.confirm", token=make_token("confirm", user))
    send_mail(user.email, _("Bitte bestätigen Sie Ihre E-Mail-Adresse"), "auth/email/confirm", link=link)


def send_password_reset(email: str) -> None:
    """Send a reset link if the account exists; silent otherwise (no enumeration)."""
    user = get_user_by_email(email)
    if user is None:
        return
    link = external_url("auth.reset_password", token=make_token("reset", user))
    send_mail(user.email, _("Passwort zurücksetzen"), "auth/email/reset", user=user, link=link)


def send_account_exists_notice(user: User, reason: str) -> None:
    """Tell the owner of an address that someone tried to use it (``reason``: "register",
    "invitation" or "email-change"); the form itself answers as if all went well."""
    send_mail(
        user.email,
        _("Ihr Vereinsraum-Konto"),
        "auth/email/account_exists",
        reason=reason,
        login_link=external_url("auth.login"),
        reset_link=external_url("auth.reset_password", token=make_token("reset", user)),
    )


def check_your_inbox() -> str:
    """The one answer to a registration, whether the address was free or not (no enumeration)."""
    return _(
        "Fast geschafft! Wir haben Ihnen eine E-Mail geschickt. Bitte sehen Sie in Ihr Postfach und folgen "
        "Sie dem Link darin. Danach können Sie sich hier anmelden."
    )


def register_account(
    email: str, name: str, password: str, *, reason: str = "register", address_proven: bool = False, commit: bool = True
) -> User | None:
    """Registration that never tells whether the address already has an account.

    A free address gets a new account and a mail: the confirmation link, or (``address_proven``: an
    invitation sent to this address is being used) a welcome with the login link. A taken address gets a
    notice to its owner instead, after the same password-hashing work. The mail goes out before the commit:
    if the mail server fails, nothing is left behind (MailError). ``commit=False`` leaves the new account
    in the session for the caller to finish. Returns the new account, or None when the address was taken.
    """
    if get_user_by_email(email) is None:
        try:
            user = create_user(email, name, password)
        except (AccountError, sa.exc.IntegrityError):
            db.session.rollback()  # registered a moment ago by a parallel request
            user = None
        if user is not None:
            if address_proven:
                send_mail(
                    user.email,
                    _("Willkommen im Vereinsraum"),
                    "auth/email/welcome",
                    login_link=external_url("auth.login"),
                )
            else:
                send_confirmation(user)
            if commit:
                db.session.commit()
            return user
    else:
        equalise_timing(password)
    holder = get_user_by_email(email)
    if holder is not None:
        send_account_exists_notice(holder, reason)
    return None


def request_email_change(user: User, new_email: str) -> None:
    """Mail a confirmation link to the new address; if another account has it, mail that account's owner
    instead. The answer is the same either way (no enumeration)."""
    new_email = User.normalise_email(new_email)
    if new_email == user.email:
        raise AccountError(_("Das ist schon Ihre E-Mail-Adresse."))
    holder = get_user_by_email(new_email)
    if holder is not None:
        send_account_exists_notice(holder, "email-change")
        return
    token = make_token("change-email", user, new=new_email)
    link = external_url("auth.confirm_email_change", token=token)
    send_mail(new_email, _("Neue E-Mail-Adresse bestätigen"), "auth/email/change_email", link=link)


def apply_email_change(token: str) -> User:
    user, payload = _load_token("change-email", token, current_app.config["CONFIRM_TOKEN_MAX_AGE"])
    if user.email == payload.get("new"):
        return user  # the link was clicked twice: nothing to do
    _check_current("change-email", user, payload)  # a used or superseded link must not move the address again
    holder = get_user_by_email(payload["new"])
    if holder is not None:
        raise AccountError(_("Diese E-Mail-Adresse wird schon für ein anderes Konto verwendet."))
    old = user.email
    user.email = payload["new"]
    user.confirm_email()
    user.end_sessions()  # a session on the old address must not outlive the change
    audit_record("account.email_changed", actor=user, user_id=user.id, old=old, new=user.email)
    db.session.commit()
    return user


# --- the account's own changes -------------------------------------------------------------------


def confirm_address(user: User) -> None:
    """The confirmation link reached the mailbox."""
    user.confirm_email()
    db.session.commit()


def record_login(user: User) -> None:
    user.last_login_at = utcnow()
    db.session.commit()


def reset_password(user: User, password: str) -> None:
    """A new password through the reset link: the address is proven, every other session ends (e.g. someone
    who registered this address before its owner reclaimed it)."""
    user.set_password(password)
    user.confirm_email()
    user.end_sessions()
    db.session.commit()


def change_password(user: User, password: str) -> None:
    """A new password from the settings: every session ends (the caller logs the acting browser in again)."""
    user.set_password(password)
    user.end_sessions()
    db.session.commit()


def rename(user: User, name: str) -> None:
    user.name = name.strip()
    db.session.commit()


def end_all_sessions(user: User) -> None:
    """Log the account out on every device, this one included."""
    user.end_sessions()
    db.session.commit()


# --- deletion ----------------------------------------------------------------


def clubs_blocking_deletion(user: User) -> list:
    """Clubs where the user is the only board member (deletion would orphan them); app.clubs answers."""
    return [club for clubs in values_from(account_deletion_blockers, user) for club in clubs]


def delete_account(user: User) -> None:
    blocking = clubs_blocking_deletion(user)
    if blocking:
        names = ", ".join(c.name for c in blocking)
        raise AccountError(
            _(
                "Sie sind der einzige Vorstand von: %(names)s. Bitte ernennen Sie zuerst eine andere Person "
                "zum Vorstand, dann können Sie Ihr Konto löschen.",
                names=names,
            )
        )
    user.end_sessions()  # the row goes below; should erasure ever keep it, no old cookie may open it
    # app.dataprotection erases: it walks every declared model (own data deleted, club content kept as
    # "ehemaliges Mitglied", audit entries pseudonymised), records "account.deleted" and commits.
    if not values_from(account_deleting, user):
        raise RuntimeError("Nothing erased the account: app.dataprotection connects to core.signals.account_deleting.")
