"""Views of the toolkit: /c/<slug>/werkzeuge/… (board only; the tenancy loader checks club and role)."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..core.downloads import attachment
from ..core.forms import EmptyForm
from ..core.i18n import to_utc
from ..core.tenancy import club_access
from . import bp, documents
from . import services as svc
from .forms import (
    BreachForm,
    CloseBreachForm,
    CloseForm,
    ExtendForm,
    NoticeForm,
    RecordForm,
    RequestForm,
    ShareForm,
)
from .models import BREACH_CLOCK_HOURS, MAX_EXTENSION_MONTHS, NoticeKind
from .record import FIELDS, MAX_ACTIVITIES


@bp.get("/")
@club_access("board")
def index():
    open_requests, open_breaches = svc.open_counts(g.club)
    return render_template("toolkit/index.html", open_requests=open_requests, open_breaches=open_breaches)


# --- data-subject requests ----------------------------------------------------------------------------------


def _requests_page(form, status=200):
    return render_template("toolkit/requests.html", items=svc.requests_of(g.club), form=form, today=svc.today()), status


@bp.route("/anfragen/", methods=["GET", "POST"])
@club_access("board")
def requests():
    form = RequestForm()
    if form.validate_on_submit():
        try:
            item = svc.log_request(
                g.club,
                kind=form.kind.data,
                received_on=form.received_on.data,
                channel=form.channel.data,
                note=form.note.data,
                by=current_user,
            )
        except svc.ToolkitError as error:
            form.received_on.errors = [error.message]
            return _requests_page(form, 422)
        flash(_("Die Anfrage ist eingetragen. Frist: %(date)s", date=item.due_on.strftime("%d.%m.%Y")), "success")
        return redirect(url_for("toolkit.show_request", request_id=item.id), code=303)
    return _requests_page(form, 422 if form.is_submitted() else 200)


def _request_or_404(request_id):
    item = svc.request_of(g.club, request_id)
    if item is None:
        abort(404)
    return item


def _request_page(item, extend_form=None, close_form=None, status=200):
    return render_template(
        "toolkit/request.html",
        item=item,
        today=svc.today(),
        extend_form=extend_form or ExtendForm(formdata=None),
        close_form=close_form or CloseForm(formdata=None, data={"closed_on": svc.today()}),
        templates=svc.ANSWER_TEMPLATES.get(item.kind, ()),
        chapter=svc.RIGHTS_CHAPTER,
        max_extension=MAX_EXTENSION_MONTHS,
    ), status


@bp.get("/anfragen/<int:request_id>")
@club_access("board")
def show_request(request_id):
    return _request_page(_request_or_404(request_id))


@bp.post("/anfragen/<int:request_id>/verlaengern")
@club_access("board")
def extend_request(request_id):
    item = _request_or_404(request_id)
    form = ExtendForm()
    if form.validate_on_submit():
        try:
            svc.extend_request(item, months=form.months.data, reason=form.reason.data, by=current_user)
        except svc.ToolkitError as error:
            form.months.errors = [error.message]
            return _request_page(item, extend_form=form, status=422)
        flash(_("Die Frist ist verlängert bis %(date)s.", date=item.due_on.strftime("%d.%m.%Y")), "success")
        return redirect(url_for("toolkit.show_request", request_id=item.id), code=303)
    return _request_page(item, extend_form=form, status=422)


@bp.post("/anfragen/<int:request_id>/abschliessen")
@club_access("board")
def close_request(request_id):
    item = _request_or_404(request_id)
    form = CloseForm()
    if form.validate_on_submit():
        try:
            svc.close_request(item, closed_on=form.closed_on.data, outcome=form.outcome.data, by=current_user)
        except svc.ToolkitError as error:
            form.closed_on.errors = [error.message]
            return _request_page(item, close_form=form, status=422)
        flash(_("Die Anfrage ist abgeschlossen."), "success")
        return redirect(url_for("toolkit.show_request", request_id=item.id), code=303)
    return _request_page(item, close_form=form, status=422)


# --- breach log ---------------------------------------------------------------------------------------------


def _breaches_page(form, status=200):
    return render_template(
        "toolkit/breaches.html", items=svc.breaches_of(g.club), form=form, clock_hours=BREACH_CLOCK_HOURS
    ), status


@bp.route("/pannen/", methods=["GET", "POST"])
@club_access("board")
def breaches():
    form = BreachForm()
    if form.validate_on_submit():
        try:
            item = svc.log_breach(
                g.club,
                discovered_at=to_utc(form.discovered_at.data),
                by=current_user,
                facts=form.facts.data,
                data_kinds=form.data_kinds.data,
                affected_count=form.affected_count.data,
                sensitive=form.sensitive.data,
                risk=form.risk.data,
                high_risk=form.high_risk.data,
                effects=form.effects.data or "",
                remedies=form.remedies.data or "",
            )
        except svc.ToolkitError as error:
            form.discovered_at.errors = [error.message]
            return _breaches_page(form, 422)
        flash(_("Die Datenpanne ist eingetragen. Prüfen Sie jetzt die Empfehlung."), "success")
        return redirect(url_for("toolkit.show_breach", breach_id=item.id), code=303)
    return _breaches_page(form, 422 if form.is_submitted() else 200)


def _breach_or_404(breach_id):
    item = svc.breach_of(g.club, breach_id)
    if item is None:
        abort(404)
    return item


def _breach_page(item, close_form=None, status=200):
    return render_template(
        "toolkit/breach.html",
        item=item,
        now=svc.utcnow(),
        close_form=close_form or CloseBreachForm(formdata=None, obj=item),
        action_form=EmptyForm(formdata=None),
        authority_form_url=svc.BLNBDI_BREACH_FORM,
        authority_text=render_template("toolkit/texts/authority.txt", item=item, club=g.club),
        people_text=render_template("toolkit/texts/people.txt", item=item, club=g.club),
    ), status


@bp.get("/pannen/<int:breach_id>")
@club_access("board")
def show_breach(breach_id):
    return _breach_page(_breach_or_404(breach_id))


def _notified(breach_id, whom):
    item = _breach_or_404(breach_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        svc.mark_notified(item, whom, by=current_user)
    except svc.ToolkitError as error:
        flash(error.message, "error")
        return _breach_page(item, status=409)
    flash(_("Die Meldung ist eingetragen."), "success")
    return redirect(url_for("toolkit.show_breach", breach_id=item.id), code=303)


@bp.post("/pannen/<int:breach_id>/behoerde-gemeldet")
@club_access("board")
def authority_notified(breach_id):
    return _notified(breach_id, "authority")


@bp.post("/pannen/<int:breach_id>/betroffene-informiert")
@club_access("board")
def people_notified(breach_id):
    return _notified(breach_id, "people")


@bp.post("/pannen/<int:breach_id>/abschliessen")
@club_access("board")
def close_breach(breach_id):
    item = _breach_or_404(breach_id)
    form = CloseBreachForm()
    if form.validate_on_submit():
        try:
            svc.close_breach(
                item,
                effects=form.effects.data,
                remedies=form.remedies.data,
                not_notified_reason=form.not_notified_reason.data,
                by=current_user,
            )
        except svc.ToolkitError as error:
            form.not_notified_reason.errors = [error.message]
            return _breach_page(item, close_form=form, status=422)
        flash(_("Der Eintrag ist abgeschlossen und bleibt im Verzeichnis der Datenpannen."), "success")
        return redirect(url_for("toolkit.show_breach", breach_id=item.id), code=303)
    return _breach_page(item, close_form=form, status=422)


# --- record of processing activities ------------------------------------------------------------------------


def _may_read_record() -> bool:
    """The board always; members when the board shared the record (``ToolkitSettings.record_shared``)."""
    return g.membership.is_board or svc.record_shared(g.club)


@bp.get("/verzeichnis/")
@club_access("member")
def record():
    readable = _may_read_record()
    latest = svc.latest_record(g.club) if readable else None
    return render_template(
        "toolkit/record.html",
        readable=readable,
        latest=latest,
        versions=svc.record_versions(g.club) if readable else [],
        needs_review=g.membership.is_board and svc.needs_review(g.club, latest),
        missing=svc.suggestions_missing(g.club, latest.content) if latest and g.membership.is_board else [],
        share_form=ShareForm(formdata=None, data={"shared": svc.record_shared(g.club)}),
        fields=FIELDS,
    )


@bp.route("/verzeichnis/bearbeiten", methods=["GET", "POST"])
@club_access("board")
def edit_record():
    if request.method == "POST":
        form = RecordForm()
    else:
        draft = svc.record_draft(g.club)
        activities = list(draft.get("activities", ()))[:MAX_ACTIVITIES]
        if len(activities) < MAX_ACTIVITIES:
            activities.append({})  # one empty row for a new activity
        draft = dict(draft, activities=activities)
        form = RecordForm(formdata=None, data=draft)
    if form.validate_on_submit():
        version = svc.save_record(g.club, form.content(), by=current_user)
        flash(
            _(
                "Fassung %(number)s des Verzeichnisses ist gespeichert. Im Selbstcheck ist der Punkt zum Verzeichnis "
                "jetzt mit „Ja“ und dieser Fassung als Nachweis beantwortet.",
                number=version.number,
            ),
            "success",
        )
        return redirect(url_for("toolkit.record"), code=303)
    return render_template("toolkit/record_edit.html", form=form, fields=FIELDS), 422 if form.is_submitted() else 200


def _version_or_404(number):
    if not _may_read_record():
        abort(403)
    version = svc.record_version(g.club, number)
    if version is None:
        abort(404)
    return version


@bp.get("/verzeichnis/<int:number>")
@club_access("member")
def record_print(number):
    version = _version_or_404(number)
    return render_template("toolkit/record_print.html", version=version, fields=FIELDS)


@bp.get("/verzeichnis/<int:number>/pdf")
@club_access("member")
def record_pdf(number):
    version = _version_or_404(number)
    return attachment(
        documents.record_pdf(g.club, version),
        "application/pdf",
        f"verarbeitungsverzeichnis-{g.club.slug}-fassung-{version.number}.pdf",
    )


@bp.get("/verzeichnis/<int:number>/docx")
@club_access("member")
def record_docx(number):
    version = _version_or_404(number)
    return attachment(
        documents.record_docx(g.club, version),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        f"verarbeitungsverzeichnis-{g.club.slug}-fassung-{version.number}.docx",
    )


@bp.post("/verzeichnis/freigabe")
@club_access("board")
def share_record():
    form = ShareForm()
    if not form.validate_on_submit():
        abort(400)
    svc.share_record(g.club, form.shared.data, by=current_user)
    flash(
        _("Alle Mitglieder können das Verzeichnis jetzt lesen.")
        if form.shared.data
        else _("Das Verzeichnis sieht jetzt nur der Vorstand."),
        "success",
    )
    return redirect(url_for("toolkit.record"), code=303)


# --- privacy notices ----------------------------------------------------------------------------------------


def _notice_kind_or_404(kind: str) -> NoticeKind:
    try:
        return NoticeKind(kind)
    except ValueError:
        abort(404)


@bp.get("/hinweise/")
@club_access("member")
def notices():
    readable = _may_read_record()
    return render_template(
        "toolkit/notices.html",
        readable=readable,
        record=svc.latest_record(g.club) if readable else None,
        notices=svc.latest_notices(g.club) if readable else {},
        kinds=list(NoticeKind),
    )


@bp.route("/hinweise/<kind>/bearbeiten", methods=["GET", "POST"])
@club_access("board")
def edit_notice(kind):
    kind = _notice_kind_or_404(kind)
    record = svc.latest_record(g.club)
    if record is None:
        flash(_("Legen Sie zuerst das Verzeichnis von Verarbeitungstätigkeiten an."), "error")
        return redirect(url_for("toolkit.record"), code=303)
    form = NoticeForm()
    if form.validate_on_submit():
        notice = svc.save_notice(g.club, kind, form.text.data, record=record, by=current_user)
        flash(_("Fassung %(number)s des Hinweises ist gespeichert.", number=notice.number), "success")
        return redirect(url_for("toolkit.notices", _anchor=f"notice-{kind.value}"), code=303)
    if not form.is_submitted():
        latest = svc.latest_notice(g.club, kind)
        regenerate = request.args.get("neu") == "1" or latest is None or latest.record_number != record.number
        form.text.data = svc.generate_notice(g.club, kind, record) if regenerate else latest.text
    return render_template(
        "toolkit/notice_edit.html", form=form, kind=kind, record=record, latest=svc.latest_notice(g.club, kind)
    ), 422 if form.is_submitted() else 200


def _notice_or_404(kind):
    if not _may_read_record():
        abort(403)
    notice = svc.latest_notice(g.club, _notice_kind_or_404(kind))
    if notice is None:
        abort(404)
    return notice


@bp.get("/hinweise/<kind>/pdf")
@club_access("member")
def notice_pdf(kind):
    notice = _notice_or_404(kind)
    return attachment(
        documents.notice_pdf(g.club, notice),
        "application/pdf",
        f"datenschutzhinweise-{notice.kind.value}-{g.club.slug}-fassung-{notice.number}.pdf",
    )


@bp.get("/hinweise/<kind>/docx")
@club_access("member")
def notice_docx(kind):
    notice = _notice_or_404(kind)
    return attachment(
        documents.notice_docx(g.club, notice),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        f"datenschutzhinweise-{notice.kind.value}-{g.club.slug}-fassung-{notice.number}.docx",
    )
