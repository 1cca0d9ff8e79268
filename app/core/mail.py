"""E-mail over SMTP; printed to the log when no MAIL_SERVER is configured.

Header values are made safe here, from whatever is stored: a club or person name
with a line break or control character (U+2028, ``\\x0b``, ``\\x85`` …) becomes one
line, so it can neither break the message nor add a header. :func:`try_send_mail`
is for loops over recipients and for notices after a commit: a failure is logged
and reported back, never raised.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app, render_template
from flask_babel import gettext as _
from jinja2 import TemplateNotFound

from .text import has_control, single_line

log = logging.getLogger(__name__)


class MailError(Exception):
    pass


def salutation(user=None) -> str:
    """A mail's first line. It names the person only when their address is confirmed: whoever registers
    an address must not be able to place their own text in a mail to it."""
    name = getattr(user, "name", None)
    if name and getattr(user, "is_confirmed", False):
        return _("Guten Tag %(name)s,", name=name)
    return _("Guten Tag,")


def header_value(value) -> str:
    """A header value on one line, whatever the stored text contains."""
    return single_line(str(value))


def recipient(address) -> str:
    """One plain address; anything else (spaces, line breaks, a second address) is refused, not mended."""
    value = str(address).strip()
    if not value or has_control(value) or any(char.isspace() or char in ',;:<>"' for char in value):
        raise MailError("invalid recipient address")
    return value


def build_message(to, subject: str, body: str, html: str | None = None, attachments=()) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = header_value(subject)
    msg["From"] = header_value(current_app.config["MAIL_DEFAULT_SENDER"])
    addresses = to if isinstance(to, (list, tuple)) else [to]
    msg["To"] = ", ".join(recipient(address) for address in addresses)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="vereinsraum.local")
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/", 1)
        if isinstance(data, str):
            data = data.encode()
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=header_value(filename))
    return msg


def send_message(msg: EmailMessage) -> None:
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        log.warning("Mail (console, no MAIL_SERVER set):\n%s", msg.as_string())
        print(f"--- E-Mail an {msg['To']} ---\n{msg.get_body(('plain',)).get_content()}\n---", flush=True)
        return
    smtp_cls = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    try:
        with smtp_cls(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        log.exception("sending mail failed")
        raise MailError(str(exc)) from exc


def send_mail(to, subject: str, template: str, attachments=(), **context) -> None:
    """Render ``<template>.txt`` (and ``.html`` if present) and send it."""
    body = render_template(template + ".txt", **context)
    html = None
    try:
        html = render_template(template + ".html", **context)
    except Exception as exc:  # noqa: BLE001 - optional HTML part
        if not isinstance(exc, TemplateNotFound):
            raise
    send_message(build_message(to, subject, body, html, attachments))


def try_send_mail(to, subject: str, template: str, attachments=(), **context) -> bool:
    """:func:`send_mail` that never raises: True when sent, else the failure is logged and False returned.

    For loops over recipients (one bad address or name must not stop the others) and for
    notices after a commit (what was saved stays saved; the caller tells the user).
    """
    try:
        send_mail(to, subject, template, attachments=attachments, **context)
    except Exception:  # noqa: BLE001 - logged; the caller decides what to tell the user
        count = len(to) if isinstance(to, (list, tuple)) else 1
        log.exception("mail %s to %d recipient(s) failed", template, count)
        return False
    return True
