"""Datenschutz-Selbstcheck – views under /c/<slug>/datenschutz."""

from __future__ import annotations

from datetime import date, datetime

from flask import Response, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..core.db import utcnow
from ..core.htmx import is_htmx, render_page
from ..core.tenancy import club_access
from . import bp
from .content import GUIDE_TITLES
from .glossary import first_uses, terms_in
from .models import STATUS_LABELS, Status
from .services import (
    PROFILE_QUESTIONS,
    Conflict,
    answer_item,
    can_answer,
    club_assessment,
    club_member_names,
    club_states,
    current_item,
    history,
    load_answer,
    open_states,
    record_export,
    report_context,
    save_profile,
    save_settings,
)

NOTE_MAX = 2000


@bp.context_processor
def _guide_helpers():
    def guide_url(chapter_id):
        return url_for("handbook.chapter", chapter_id=chapter_id)  # the guide's public chapter (app.guide)

    return {"guide_url": guide_url, "guide_titles": GUIDE_TITLES}


# --- helpers ------------------------------------------------------------------------------


def _members() -> list[tuple[int, str]]:
    return club_member_names(g.club)


def _overview(assessment=None):
    ctx = report_context(g.club, g.membership, assessment)
    ctx["jargon"] = first_uses(ctx["states"])
    ctx.update(plan_lists(ctx["states"]))
    return ctx


def plan_lists(states) -> dict:
    """The action plan's two lists: measures (answered "Nein" or "Teilweise", most urgent first) and the
    questions that still need an answer (a changed question whose answer awaits review counts here too)."""
    measures = [s for s in open_states(states) if s.effective_status in (Status.NO.value, Status.PARTIAL.value)]
    unanswered = [s for s in states if s.counted and s.effective_status is None]
    return {"measures": measures, "unanswered": unanswered}


def _item_or_404(key: str):
    item = current_item(key)
    if item is None:
        abort(404)
    return item


def _item_context(item, answer=None, assessment=None, members=None, **extra):
    assessment = assessment if assessment is not None else club_assessment(g.club, create=False)
    states = club_states(
        g.club,
        assessment,
        items=[item],
        answers={item.key: answer} if answer is not None else load_answer(g.club, item.key),
    )
    members = members if members is not None else _members()
    ctx = {
        "state": states[0],
        "members": members,
        "names": dict(members),
        "may_answer": can_answer(g.club, g.membership, assessment),
        "status_labels": STATUS_LABELS,
        "today": date.today(),
        "errors": {},
        "form_values": None,
        "jargon": {item.key: terms_in(item.question, item.why)},
    }
    ctx.update(extra)
    return ctx


def _parse_answer(form, member_ids: set[int]):
    errors: dict[str, str] = {}
    status = form.get("status") or None
    if status is not None and status not in {s.value for s in Status}:
        errors["status"] = _("Bitte wählen Sie eine der Antworten.")
    note = (form.get("note") or "").strip() or None
    if note and len(note) > NOTE_MAX:
        errors["note"] = _("Die Notiz darf höchstens %(n)d Zeichen lang sein.", n=NOTE_MAX)
    responsible_id = None
    raw = (form.get("responsible_id") or "").strip()
    if raw:
        try:
            responsible_id = int(raw)
        except ValueError:
            responsible_id = -1
        if responsible_id not in member_ids:
            errors["responsible_id"] = _("Bitte wählen Sie ein Mitglied Ihres Vereins.")
            responsible_id = None
    due = None
    raw = (form.get("due_date") or "").strip()
    if raw:
        for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
            try:
                due = datetime.strptime(raw, fmt).date()
                break
            except ValueError:
                continue
        if due is None or not (2000 <= due.year <= 2100):
            errors["due_date"] = _("Bitte geben Sie ein gültiges Datum an (TT.MM.JJJJ).")
            due = None
    try:
        version = int(form.get("version", ""))
        if version < 0:
            raise ValueError
    except ValueError:
        version = None
        errors["version"] = _("Das Formular ist unvollständig. Bitte laden Sie die Seite neu.")
    data = {"status": status, "note": note, "responsible_id": responsible_id, "due_date": due}
    return data, version, errors


# --- views --------------------------------------------------------------------------------


def panel_context() -> dict:
    """The workspace panel's context (the workspace page renders the panel inline with it)."""
    ctx = report_context(g.club, g.membership, with_members=False)
    ctx["urgent"] = open_states(ctx["states"])[:3]
    return ctx


@bp.get("/")
@club_access("member", pending_ok=True)
def panel():
    """Workspace panel: score, progress and the three most urgent open items."""
    return render_page("privacy/panel.html", "privacy/partials/_panel.html", **panel_context())


@bp.get("/selbstcheck")
@club_access("member", pending_ok=True)
def checklist():
    ctx = _overview()
    assessment = ctx["assessment"]
    if (
        ctx["states"]
        and g.membership.is_board
        and (assessment is None or assessment.profile_done_at is None)
        and not is_htmx()
    ):
        return redirect(url_for(".profile"), code=303)
    return render_template("privacy/checklist.html", **ctx)


@bp.route("/profil", methods=["GET", "POST"])
@club_access("board", pending_ok=True)
def profile():
    """One tick list, "Was trifft auf Ihren Verein zu?": a ticked line is a "yes", an unticked one a "no"."""
    assessment = club_assessment(g.club, create=False)
    current = dict((assessment.profile if assessment else None) or {})
    if request.method == "POST":
        answers = {key: request.form.get(key) == "yes" for key, _q, _r in PROFILE_QUESTIONS}
        save_profile(g.club, answers, by=current_user)
        return redirect(url_for(".checklist"), code=303)
    # a question added after the profile was saved has no answer yet: ticked, so its items keep applying
    done = bool(assessment and assessment.profile_done_at)
    ticked = {key for key, _q, _r in PROFILE_QUESTIONS if current.get(key) is True or (done and key not in current)}
    return render_template(
        "privacy/profile.html", profile_questions=PROFILE_QUESTIONS, ticked=ticked, assessment=assessment
    )


@bp.post("/einstellungen")
@club_access("board", pending_ok=True)
def settings():
    assessment = save_settings(
        g.club,
        members_may_answer=request.form.get("members_may_answer") == "1",
        consultation_wanted=request.form.get("consultation_wanted") == "1",
        by=current_user,
    )
    if is_htmx():
        return render_template("privacy/partials/_settings.html", assessment=assessment, saved=True)
    return redirect(url_for(".checklist") + "#privacy-settings", code=303)


@bp.get("/punkt/<key>")
@club_access("member", pending_ok=True)
def item(key):
    item = _item_or_404(key)
    return render_page("privacy/item.html", "privacy/partials/_item.html", **_item_context(item))


@bp.post("/punkt/<key>")
@club_access("member", pending_ok=True)
def save(key):
    item = _item_or_404(key)
    assessment = club_assessment(g.club, create=False)
    if not can_answer(g.club, g.membership, assessment):
        abort(403)
    members = _members()
    names = dict(members)
    data, version, errors = _parse_answer(request.form, set(names))
    # autosave (htmx, on every change): swaps nothing on success; an error or a conflict replaces the item
    autosave = is_htmx() and request.form.get("autosave") == "1"
    if errors:
        ctx = _item_context(item, assessment=assessment, members=members, errors=errors, form_values=request.form)
        response = render_page("privacy/item.html", "privacy/partials/_item.html", status=422, **ctx)
        return _retarget_item(response, item) if autosave else response
    assessment = assessment or club_assessment(g.club)
    try:
        answer, changed = answer_item(g.club, item, current_user, data, version, names, assessment)
    except Conflict as conflict:
        ctx = _item_context(item, answer=conflict.current, members=members, mine=data, conflict=conflict.current)
        response = render_page("privacy/item.html", "privacy/partials/_conflict.html", status=409, **ctx)
        return _retarget_item(response, item) if autosave else response
    if not is_htmx():
        return redirect(url_for(".checklist") + f"#item-{item.key}", code=303)
    ctx = _item_context(
        item, answer=answer, assessment=assessment, members=members, saved=changed, unchanged=not changed
    )
    # the checklist page shows the score: update it in place (not needed on the single-item page)
    on_item_page = "/punkt/" in (request.headers.get("HX-Current-URL") or "")
    overview = None if on_item_page else _overview(assessment)
    template = "privacy/partials/_item_autosaved.html" if autosave else "privacy/partials/_item_saved.html"
    return render_template(template, **ctx, overview=overview)


def _retarget_item(response, item):
    """An autosave swaps nothing; its error or conflict view replaces the whole item instead."""
    response.headers["HX-Retarget"] = f"#item-{item.key}"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


@bp.get("/punkt/<key>/verlauf")
@club_access("member", pending_ok=True)
def item_history(key):
    item = _item_or_404(key)
    return render_page(
        "privacy/history.html", "privacy/partials/_history.html", item=item, entries=history(g.club, key)
    )


@bp.get("/massnahmen")
@club_access("member", pending_ok=True)
def plan():
    ctx = _overview()
    ctx["open"] = open_states(ctx["states"])
    return render_template("privacy/plan.html", **ctx)


@bp.get("/bericht")
@club_access("member", pending_ok=True)
def report():
    ctx = _overview()
    ctx["open"] = open_states(ctx["states"])
    ctx["generated_at"] = utcnow()
    return render_template("privacy/report.html", **ctx)


def _record_export(kind: str) -> None:
    record_export(g.club, kind, by=current_user)


@bp.get("/bericht.pdf")
@club_access("member", pending_ok=True)
def report_pdf():
    from .export import build_pdf  # fpdf is loaded only when a PDF is made

    ctx = _overview()
    ctx["open"] = open_states(ctx["states"])
    data = build_pdf(g.club, ctx)
    _record_export("pdf")
    filename = f"datenschutz-selbstcheck-{g.club.slug}-{date.today().isoformat()}.pdf"
    return Response(
        data, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@bp.get("/antworten.csv")
@club_access("member", pending_ok=True)
def answers_csv():
    from .export import build_csv  # with build_pdf: export.py loads fpdf

    ctx = _overview()
    data = build_csv(ctx)
    _record_export("csv")
    filename = f"datenschutz-antworten-{g.club.slug}-{date.today().isoformat()}.csv"
    return Response(
        data, mimetype="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
