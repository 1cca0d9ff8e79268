"""Rate limits per client address and per account, for logins and every form that sends mail.

Built on Flask-Limiter (``app.extensions.limiter``; its storage follows ``RATELIMIT_STORAGE_URI``).
The client address is ``request.remote_addr``: behind a reverse proxy, ``TRUSTED_PROXY_COUNT`` makes
werkzeug's ProxyFix put the real client there, and only then (a client cannot forge it directly).

An account is named by its e-mail address (normalised), or by the logged-in user. Keys hold a keyed hash,
never the address itself, so the limiter's storage holds no personal data. A request over a limit is
answered 429 (German page or message) before the view runs: no mail is sent and nothing is written.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app, request
from flask_login import current_user

from ..extensions import limiter

#: One budget of account mails per recipient address, shared by every form that sends them.
ACCOUNT_MAIL_SCOPE = "account-mail"


def client_address() -> str:
    return request.remote_addr or "unknown"


def _pseudonym(kind: str, value: str) -> str:
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), f"{kind}:{value}".encode(), hashlib.sha256)
    return f"{kind}:{digest.hexdigest()[:32]}"


def normalised_email(value: str | None) -> str:
    return (value or "").strip().lower()


def email_in_form(field: str = "email"):
    """Key: the e-mail address typed into ``field`` (empty form: no key, the limit is skipped)."""

    def key() -> str:
        email = normalised_email(request.form.get(field))
        return _pseudonym("email", email) if email else ""

    return key


def current_email() -> str:
    """Key: the logged-in person's e-mail address (the same budget as typing it into a form)."""
    return _pseudonym("email", normalised_email(current_user.email)) if current_user.is_authenticated else ""


def current_account() -> str:
    return _pseudonym("user", str(current_user.id)) if current_user.is_authenticated else ""


def _setting(name: str):
    return lambda: current_app.config[name]


def _stack(*decorators):
    def wrap(view):
        for decorator in reversed(decorators):
            view = decorator(view)
        return view

    return wrap


def login_limits(field: str = "email"):
    """Login: attempts per client address, failed attempts per account."""
    return _stack(
        limiter.limit(_setting("LOGIN_RATE_LIMIT"), key_func=client_address, methods=["POST"]),
        limiter.limit(
            _setting("LOGIN_ACCOUNT_RATE_LIMIT"),
            key_func=email_in_form(field),
            methods=["POST"],
            deduct_when=lambda response: response.status_code != 303,
        ),
    )


def mail_limits(*, recipient, per_client: str = "MAIL_RATE_LIMIT", per_account: str | None = None, exempt_when=None):
    """A form that sends mail: per client address, per recipient address (one budget across all forms)
    and, with ``per_account`` (a setting name), per logged-in account."""
    decorators = [
        limiter.limit(_setting(per_client), key_func=client_address, methods=["POST"], exempt_when=exempt_when),
        limiter.shared_limit(
            _setting("MAIL_ACCOUNT_RATE_LIMIT"),
            scope=ACCOUNT_MAIL_SCOPE,
            key_func=recipient,
            methods=["POST"],
            exempt_when=exempt_when,
        ),
    ]
    if per_account:
        decorators.append(
            limiter.limit(_setting(per_account), key_func=current_account, methods=["POST"], exempt_when=exempt_when)
        )
    return _stack(*decorators)


#: One budget for every way of giving the second factor (app code, recovery code, passkey).
SECOND_STEP_SCOPE = "second-step"


def second_step_limits(account_key):
    """The second login step and the forms that check a code: attempts per client address, failed attempts
    (any answer of 400 or more) per account. ``account_key() -> str`` names the account ("" skips the limit)."""

    def account() -> str:
        value = account_key()
        return _pseudonym("second-step", value) if value else ""

    return _stack(
        limiter.shared_limit(
            _setting("TWO_FACTOR_RATE_LIMIT"),
            scope=SECOND_STEP_SCOPE + "-client",
            key_func=client_address,
            methods=["POST"],
        ),
        limiter.shared_limit(
            _setting("TWO_FACTOR_ACCOUNT_RATE_LIMIT"),
            scope=SECOND_STEP_SCOPE,
            key_func=account,
            methods=["POST"],
            deduct_when=lambda response: response.status_code >= 400,
        ),
    )


def view_arg(name: str):
    """Key: a value of the URL (e.g. the slug of the club a message is for)."""

    def key() -> str:
        value = (request.view_args or {}).get(name)
        return _pseudonym(name, str(value)) if value is not None else ""

    return key


def relay_limits(*, per_client: str, per_sender: str, per_target: str, sender, target):
    """A form that relays a message to someone whose address stays hidden (the directory's contact form):
    limits (setting names) per client address, per sender address (``sender``: a key function, e.g.
    :func:`email_in_form`) and per recipient (``target``: a key function, e.g. :func:`view_arg`)."""
    return _stack(
        limiter.limit(_setting(per_client), key_func=client_address, methods=["POST"], scope="relay-client"),
        limiter.limit(_setting(per_sender), key_func=sender, methods=["POST"], scope="relay-sender"),
        limiter.limit(_setting(per_target), key_func=target, methods=["POST"], scope="relay-target"),
    )
