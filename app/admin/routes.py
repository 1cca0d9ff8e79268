"""Staff area: clubs (list, detail, decisions, notes), statistics, audit log."""

from __future__ import annotations

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..clubs.models import DISTRICTS, LEGAL_FORMS, ClubStatus
from ..clubs.services import ClubError, board_emails, change_status
from ..core.errors import fail
from ..core.forms import EmptyForm
from ..core.htmx import is_htmx, render_page
from ..core.tenancy import staff_required
from ..extensions import db
from . import audit, bp, charts, queries, review, services, statistics
from .forms import NoteForm, ReasonForm


@bp.get("/")
@staff_required
def index():
    return redirect(url_for("admin.clubs"))


@bp.get("/clubs")
@staff_required
def clubs_alias():
    return redirect(url_for("admin.clubs", **request.args), code=301)


# --- club list -------------------------------------------------------------------------------


@bp.get("/vereine")
@staff_required
def clubs():
    filters = queries.ClubFilters.from_args(request.args)
    result = queries.club_list(filters)
    # Lazy translated labels are resolved once per request, not once per table cell (hot path).
    context = dict(
        f=filters,
        result=result,
        sorts=_plain(queries.SORTS),
        bands=_plain(queries.SCORE_BANDS),
        districts=DISTRICTS,
        legal_forms=_plain(LEGAL_FORMS),
        statuses=list(ClubStatus),
        status_labels={s: str(s.label) for s in ClubStatus},
    )
    if is_htmx():
        context["oob"] = True
    else:
        context["counts"] = queries.status_counts()
    return render_page("admin/clubs.html", "admin/partials/_club_results.html", **context)


def _plain(labels: dict) -> dict:
    return {key: str(label) for key, label in labels.items()}


# --- one club ---------------------------------------------------------------------------------


def _get_club(club_id):
    club = queries.get_club(club_id)
    if club is None:
        abort(404)
    return club


#: URL action -> (target status, statuses it applies to, needs a reason, button label, heading)
ACTIONS = {
    "freischalten": (
        ClubStatus.APPROVED,
        {ClubStatus.PENDING, ClubStatus.REJECTED},
        False,
        _l("Freischalten"),
        _l("Verein freischalten"),
    ),
    "ablehnen": (ClubStatus.REJECTED, {ClubStatus.PENDING}, True, _l("Ablehnen"), _l("Anmeldung ablehnen")),
    "sperren": (ClubStatus.SUSPENDED, {ClubStatus.APPROVED}, True, _l("Sperren"), _l("Verein sperren")),
    "reaktivieren": (
        ClubStatus.APPROVED,
        {ClubStatus.SUSPENDED},
        False,
        _l("Wieder freischalten"),
        _l("Sperre aufheben"),
    ),
}

SUCCESS = {
    "freischalten": _l("%(name)s ist freigeschaltet. Der Vorstand wurde benachrichtigt."),
    "ablehnen": _l("%(name)s ist abgelehnt. Der Vorstand wurde benachrichtigt."),
    "sperren": _l("%(name)s ist gesperrt. Der Vorstand wurde benachrichtigt."),
    "reaktivieren": _l("%(name)s ist wieder freigeschaltet. Der Vorstand wurde benachrichtigt."),
}


def available_actions(club):
    return [(key, spec) for key, spec in ACTIONS.items() if club.status in spec[1]]


@bp.get("/vereine/<int:club_id>")
@staff_required
def club(club_id):
    return _club_page(_get_club(club_id))


def _club_page(club, status=200, note_form=None):
    facts = queries.club_facts(club)
    return render_template(
        "admin/club.html",
        club=club,
        facts=facts,
        actions=available_actions(club),
        note_form=note_form or NoteForm(formdata=None),
        delete_form=EmptyForm(formdata=None),
        topic_bars=charts.topic_rows(facts),
        consultation=_consultation_wanted(facts),
    ), status


def _consultation_wanted(facts) -> bool:
    return bool(facts.assessment is not None and facts.assessment.consultation_wanted)


@bp.get("/vereine/<int:club_id>/antworten")
@staff_required
def answers(club_id):
    """A club's checklist answers and notes – only while its board asks for consultation."""
    club = _get_club(club_id)
    facts = queries.club_facts(club)
    if not _consultation_wanted(facts):
        fail(
            403,
            _(
                "Der Verein hat keine Beratung angefragt. Ohne diese Freigabe sehen Sie nur die Punktzahlen, "
                "nicht die einzelnen Antworten."
            ),
        )
    rows = queries.shared_answers(club)
    services.record_answers_viewed(club, by=current_user)
    return render_template("admin/answers.html", club=club, rows=rows, topics=queries.topic_titles())


@bp.route("/vereine/<int:club_id>/status/<action>", methods=["GET", "POST"])
@staff_required
def set_status(club_id, action):
    club = _get_club(club_id)
    if action not in ACTIONS:
        abort(404)
    new_status, applies_to, needs_reason, label, heading = ACTIONS[action]
    form = ReasonForm() if needs_reason else EmptyForm()
    recipients = board_emails(club)
    context = dict(
        club=club,
        action=action,
        form=form,
        needs_reason=needs_reason,
        label=label,
        heading=heading,
        recipients=recipients,
        consequences=queries.status_consequences(club, new_status),
    )
    if club.status not in applies_to:
        flash(
            _(
                "Dieser Statuswechsel ist bei einem Verein mit Status „%(status)s“ nicht möglich.",
                status=club.status.label,
            ),
            "error",
        )
        return redirect(url_for("admin.club", club_id=club.id), code=303)
    if request.method == "GET":
        return render_template("admin/confirm_status.html", **context)
    if not form.validate_on_submit():
        return render_template("admin/confirm_status.html", **context), 422
    try:
        mailed = change_status(club, new_status, by=current_user, reason=form.reason.data if needs_reason else None)
    except ClubError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return render_template("admin/confirm_status.html", **context), 409
    if mailed:
        flash(str(SUCCESS[action]) % {"name": club.name}, "success")
    else:
        flash(
            _(
                "Der neue Status von %(name)s ist gespeichert, aber die E-Mail an den Vorstand konnte nicht "
                "verschickt werden. Bitte benachrichtigen Sie den Vorstand selbst.",
                name=club.name,
            ),
            "error",
        )
    return redirect(url_for("admin.club", club_id=club.id), code=303)


@bp.post("/vereine/<int:club_id>/notizen")
@staff_required
def add_note(club_id):
    club = _get_club(club_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _club_page(club, 422, note_form=form)
    services.add_note(club, form.body.data, by=current_user)
    flash(_("Die Notiz ist gespeichert."), "success")
    return redirect(url_for("admin.club", club_id=club.id, _anchor="notizen"), code=303)


@bp.post("/vereine/<int:club_id>/notizen/<int:note_id>/loeschen")
@staff_required
def delete_note(club_id, note_id):
    club = _get_club(club_id)
    note = queries.club_note(club, note_id)
    if note is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.delete_note(club, note, by=current_user)
    flash(_("Die Notiz ist gelöscht."), "success")
    return redirect(url_for("admin.club", club_id=club.id, _anchor="notizen"), code=303)


# --- statistics --------------------------------------------------------------------------------


@bp.get("/statistik", endpoint="statistics")
@staff_required
def statistics_page():
    stats, computed_at = statistics.cached_statistics(fresh=bool(request.args.get("neu")))
    return render_template(
        "admin/statistics.html",
        stats=stats,
        charts=charts.dashboard(stats),
        bands=queries.SCORE_BANDS,
        statuses=list(ClubStatus),
        computed_at=computed_at,
        cache_seconds=current_app.config.get("ADMIN_STATS_CACHE_SECONDS") or 0,
    )


@bp.get("/statistik.csv")
@staff_required
def statistics_csv():
    stats, _computed_at = statistics.cached_statistics(fresh=bool(request.args.get("neu")))
    body = statistics.as_csv(stats)
    services.record_statistics_export(by=current_user)
    response = make_response("\ufeff" + body)
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = "attachment; filename=vereinsraum-statistik.csv"
    response.headers["Cache-Control"] = "no-store"
    return response


# --- audit log ---------------------------------------------------------------------------------


@bp.get("/protokoll", endpoint="audit")
@staff_required
def audit_page():
    filters = audit.AuditFilters.from_args(request.args)
    rows, total, page, pages, actions = audit.audit_page(filters)
    status = 422 if filters.errors else 200
    return render_template(
        "admin/audit.html",
        f=filters,
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        actions=actions,
        labels=audit.AUDIT_LABELS,
        retention=current_app.config.get("AUDIT_RETENTION_DAYS"),
    ), status


# --- review dates of the legal texts -----------------------------------------------------------


def _review_page(status=200, error=None):
    show_all = request.args.get("alle") == "1"
    texts = review.all_texts() if show_all else review.due_texts()
    return render_template(
        "admin/review.html",
        texts=texts,
        show_all=show_all,
        due_count=len(texts) if not show_all else len(review.due_texts()),
        months=review.review_months(),
        form=EmptyForm(formdata=None),
        error=error,
    ), status


@bp.get("/pruefung", endpoint="review")
@staff_required
def review_page():
    return _review_page()


@bp.post("/pruefung/geprueft", endpoint="mark_reviewed")
@staff_required
def mark_reviewed():
    form = EmptyForm()
    kind = (request.form.get("kind") or "")[:16]
    key = (request.form.get("key") or "")[:80]
    if not form.validate_on_submit():
        return _review_page(400, _("Das Formular ist abgelaufen. Bitte versuchen Sie es noch einmal."))
    try:
        text = review.mark_reviewed(kind, key, by=current_user)
    except LookupError:
        db.session.rollback()
        return _review_page(404, _("Diesen Text gibt es nicht (mehr)."))
    db.session.commit()
    flash(_("„%(title)s“ ist als geprüft markiert (Stand: heute).", title=text.title), "success")
    return redirect(url_for("admin.review"), code=303)
