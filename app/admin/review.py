"""Review dates of the legal texts: which checklist items, guide chapters and articles are due for review.

Every such text carries a "Stand" (the date its legal content was last checked). Staff see the texts
whose "Stand" is older than CONTENT_REVIEW_MONTHS (default 12), mark one as reviewed (audited; users
then see the new date) and get a monthly mail listing what is due (``flask content review-reminder``,
started by the timer ``deploy/systemd/vereinsraum-review-reminder.timer`` or the crontab).
This composition module reads the privacy and guide domains through their public review functions.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ..auth.models import User
from ..core.audit import audit_record
from ..core.mail import try_send_mail
from ..core.urls import external_url
from ..extensions import db
from ..guide import services as guide
from ..privacy import content as checklist

DEFAULT_MONTHS = 12
KINDS = ("checklist", "chapter", "article")


def kind_label(kind: str) -> str:
    return {
        "checklist": _("Selbstcheck-Punkt"),
        "chapter": _("Leitfaden-Kapitel"),
        "article": _("Wissensartikel"),
    }[kind]


@dataclass(frozen=True)
class ReviewText:
    kind: str  # "checklist", "chapter" or "article"
    key: str  # item key or page slug
    title: str
    reviewed_on: date | None

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)


def review_months() -> int:
    return int(current_app.config.get("CONTENT_REVIEW_MONTHS", DEFAULT_MONTHS))


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier (the month's last day when it has fewer days)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def all_texts() -> list[ReviewText]:
    texts = [
        ReviewText("checklist", item.key, item.question_de, item.reviewed_on) for item in checklist.review_entries()
    ]
    texts += [ReviewText(page.kind, page.slug, page.title, page.reviewed_on) for page in guide.review_entries()]
    return texts


def due_texts(today: date | None = None) -> list[ReviewText]:
    """Texts without a "Stand" or with one older than the review period, oldest first."""
    cutoff = months_before(today or date.today(), review_months())
    due = [text for text in all_texts() if text.reviewed_on is None or text.reviewed_on < cutoff]
    return sorted(due, key=lambda text: (text.reviewed_on or date.min, KINDS.index(text.kind), text.key))


def mark_reviewed(kind: str, key: str, *, by, today: date | None = None) -> ReviewText:
    """Staff checked the text: its "Stand" becomes today (audited; the caller commits).

    Raises ``LookupError`` for an unknown kind or text.
    """
    today = today or date.today()
    if kind == "checklist":
        item, before = checklist.mark_reviewed(key, today)
        title = item.question_de
    elif kind in ("chapter", "article"):
        page, before = guide.mark_reviewed(kind, key, today)
        title = page.title
    else:
        raise LookupError(kind)
    audit_record(
        "content.reviewed",
        actor=by,
        kind=kind,
        key=key,
        before=before.isoformat() if before else None,
        reviewed_on=today.isoformat(),
    )
    return ReviewText(kind, key, title, today)


def send_reminder(today: date | None = None) -> tuple[int, int]:
    """Mail every staff member the list of texts due for review; returns (texts due, mails sent).

    Nothing is sent when nothing is due.
    """
    due = due_texts(today)
    if not due:
        return 0, 0
    staff = db.session.scalars(sa.select(User).where(User.is_staff.is_(True)).order_by(User.id)).all()
    sent = 0
    base = current_app.config.get("BASE_URL", "http://localhost")
    with current_app.test_request_context(base_url=base):
        url = external_url("admin.review")
        for user in staff:
            sent += try_send_mail(
                user.email,
                _("Fällige Prüfung: %(n)s Rechtstexte", n=len(due)),
                "admin/email/review_reminder",
                user=user,
                due=due,
                months=review_months(),
                review_url=url,
            )
    return len(due), sent
