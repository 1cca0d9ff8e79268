"""E-mail over SMTP; printed to the log when no MAIL_SERVER is configured."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app, render_template
from flask_babel import gettext as _

from .urls import external_url  # noqa: F401 - links in mails come from BASE_URL only

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


def build_message(to, subject: str, body: str, html: str | None = None, attachments=()) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    msg["To"] = ", ".join(to) if isinstance(to, (list, tuple)) else to
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="vereinsraum.local")
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/", 1)
        if isinstance(data, str):
            data = data.encode()
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
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
        from jinja2 import TemplateNotFound

        if not isinstance(exc, TemplateNotFound):
            raise
    send_message(build_message(to, subject, body, html, attachments))
