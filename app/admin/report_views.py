"""Staff pages of the quarterly report to the administration: /admin/bericht (+ .pdf, .csv)."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from ..core.audit import audit_record
from ..core.downloads import attachment
from ..core.errors import fail
from ..core.tenancy import staff_required
from ..extensions import db
from . import bp, report


def _quarter() -> report.Quarter:
    value = request.args.get("quartal")
    if not value:
        return report.Quarter.last_complete()
    try:
        return report.Quarter.parse(value)
    except ValueError:
        fail(400, _("Bitte wählen Sie ein Quartal aus der Liste (z. B. 2026-Q3)."))


def _choices(count: int = 8) -> list[report.Quarter]:
    quarter = report.Quarter.last_complete()
    current = report.Quarter(quarter.year + (quarter.number == 4), quarter.number % 4 + 1)
    out = [current, quarter]
    while len(out) < count:
        last = out[-1]
        out.append(report.Quarter(last.year - 1, 4) if last.number == 1 else report.Quarter(last.year, last.number - 1))
    return out


@bp.get("/bericht", endpoint="report")
@staff_required
def report_page():
    quarter = _quarter()
    return render_template(
        "admin/report.html",
        report=report.build(quarter),
        choices=_choices(),
        rule=report.rule_text(),
        min_cell=report.MIN_CELL,
    )


def _download(kind: str, body: bytes, content_type: str):
    quarter = _quarter()
    audit_record("admin.report_exported", actor=current_user, quarter=quarter.key, format=kind)
    db.session.commit()
    return attachment(body, content_type, f"vereinsraum-bericht-{quarter.key}.{kind}")


@bp.get("/bericht.pdf", endpoint="report_pdf")
@staff_required
def report_pdf():
    return _download("pdf", report.as_pdf(report.build(_quarter())), "application/pdf")


@bp.get("/bericht.csv", endpoint="report_csv")
@staff_required
def report_csv():
    return _download("csv", report.as_csv(report.build(_quarter())), "text/csv; charset=utf-8")
