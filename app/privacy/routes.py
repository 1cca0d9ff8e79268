"""Datenschutz-Selbstcheck – views under /c/<slug>/datenschutz."""

from __future__ import annotations

from datetime import date, datetime

from flask import Response, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..core.db import utcnow
from ..core.downloads import attachment
from ..core.htmx import is_htmx, render_page
from ..core.tenancy import club_access, require_board
from . import bp
from .content import GUIDE_TITLES
from .evidence import (
    EvidenceError,
    add_file,
    add_note,
    club_evidence,
    delete_evidence,
    download_name,
    evidence_lines,
    get_evidence,
    max_bytes,
    parse_note,
    read_file,
    read_upload,
    size_label,
)
from .glossary import first_uses, terms_in
from .models import STATUS_LABELS, Status
from .services import (
    PROFILE_QUESTIONS,
    Conflict,
    MemberNames,
    answer_item,
    can_answer,
    club_assessment,
    club_member_names,
    club_states,
    club_summary,
    current_item,
    current_topics,
    history,
    load_answer,
    open_states,
    record_export,
    report_context,
    save_profile,
    save_settings,
)

NOTE_MAX = 2000
#: Answers that make an item a measure of the action plan.
MEASURE_STATUSES = (Status.NO.value, Status.PARTIAL.value)


@bp.context_processor
def _guide_helpers():
    def guide_url(chapter_id):
        return url_for("handbook.chapter", chapter_id=chapter_id)  # the guide's public chapter (app.guide)

    def item_evidence(key):
        """The club's evidence rows for an item (all items' rows are read with one query per request)."""
        club = g.get("club")
        return club_evidence(club).get(key, []) if club is not None else []

    def item_evidence_lines(key):
        """The item's evidence as the report lists it (print page, PDF and CSV say the same)."""
        club = g.get("club")
        return evidence_lines(club, key) if club is not None else []

    return {
        "guide_url": guide_url,
        "guide_titles": GUIDE_TITLES,
        "item_evidence": item_evidence,
        "item_evidence_lines": item_evidence_lines,
        "evidence_size": size_label,
    }


# --- helpers ------------------------------------------------------------------------------


def _members() -> list[tuple[int, str]]:
    return club_member_names(g.club)


def _overview(assessment=None):
    ctx = report_context(g.club, g.membership, assessment)
    ctx["jargon"] = first_uses(ctx["states"])
    ctx.update(plan_lists(ctx["states"]))
    return ctx


def score_bars(topics, topic_scores: dict) -> list[tuple[str, str, int, str]]:
    """The score block's bars, (topic key, title, score, "57 von 100"), for every topic with a score (a template
    global: built here in one pass, the block is in every answer to a save)."""
    return [
        (topic.key, topic.title, topic_scores[topic.key], _("%(n)d von 100", n=topic_scores[topic.key]))
        for topic in topics
        if topic.key in topic_scores
    ]


def _score_block(assessment) -> dict:
    """What the checklist page's score block shows (the answer to a save swaps it in place)."""
    states = club_states(g.club, assessment)
    summary = club_summary(g.club, assessment)  # (the save computed it already)
    measures = [s for s in states if s.is_open and s.effective_status in MEASURE_STATUSES]  # counted, not sorted
    return {**summary, "topics": current_topics(), "measures": measures}


def plan_lists(states) -> dict:
    """The action plan's two lists: measures (answered "Nein" or "Teilweise", most urgent first) and the
    questions that still need an answer (a changed question whose answer awaits review counts here too)."""
    measures = [s for s in open_states(states) if s.effective_status in MEASURE_STATUSES]
    unanswered = [s for s in states if s.counted and s.effective_status is None]
    return {"measures": measures, "unanswered": unanswered}


def _item_or_404(key: str):
    item = current_item(key)
    if item is None:
        abort(404)
    return item


def _may_add_evidence(assessment) -> bool:
    """Who may answer may add and remove evidence (the board, members if the club lets them), in an
    approved club only (files are not taken while a club waits for approval)."""
    return g.club.is_active and can_answer(g.club, g.membership, assessment)


def _check_may_add_evidence() -> None:
    if not _may_add_evidence(club_assessment(g.club, create=False)):
        abort(403)
    if g.membership.is_board:
        require_board()  # a board member acts as the board: the club's two-factor rule for its board applies


def _item_context(item, answer=None, assessment=None, members=None, names=None, **extra):
    assessment = assessment if assessment is not None else club_assessment(g.club, create=False)
    states = club_states(
        g.club,
        assessment,
        items=[item],
        answers={item.key: answer} if answer is not None else load_answer(g.club, item.key),
    )
    if names is None:
        members = members if members is not None else _members()
        names = dict(members)
    elif members is None:
        members = names.pairs  # (read only if the template shows the select)
    ctx = {
        "state": states[0],
        "members": members,
        "names": names,
        "may_answer": can_answer(g.club, g.membership, assessment),
        "may_add_evidence": _may_add_evidence(assessment),
        "evidence_max": size_label(max_bytes()),
        "evidence_errors": {},
        "evidence_values": None,
        "status_labels": STATUS_LABELS,
        "today": date.today(),
        "errors": {},
        "form_values": None,
        "jargon": {item.key: terms_in(item.question, item.why)},
    }
    ctx.update(extra)
    return ctx


def _parse_answer(form, member_ids):
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
    assessment = club_assessment(g.club, create=False)  # first: it reads the content version along
    item = _item_or_404(key)
    if not can_answer(g.club, g.membership, assessment):
        abort(403)
    # the members are read only when needed: a responsible person named, or the whole item shown again
    names = MemberNames(g.club, known={current_user.id: current_user.name})
    data, version, errors = _parse_answer(request.form, names)
    # autosave (htmx, on every change): swaps nothing on success; an error or a conflict replaces the item
    autosave = is_htmx() and request.form.get("autosave") == "1"
    if errors:
        ctx = _item_context(item, assessment=assessment, names=names, errors=errors, form_values=request.form)
        response = render_page("privacy/item.html", "privacy/partials/_item.html", status=422, **ctx)
        return _retarget_item(response, item) if autosave else response
    assessment = assessment or club_assessment(g.club)
    try:
        answer, changed = answer_item(g.club, item, current_user, data, version, names, assessment)
    except Conflict as conflict:
        ctx = _item_context(item, answer=conflict.current, names=names, mine=data, conflict=conflict.current)
        response = render_page("privacy/item.html", "privacy/partials/_conflict.html", status=409, **ctx)
        return _retarget_item(response, item) if autosave else response
    if not is_htmx():
        return redirect(url_for(".checklist") + f"#item-{item.key}", code=303)
    # the checklist page shows the score: update it in place (not needed on the single-item page)
    on_item_page = "/punkt/" in (request.headers.get("HX-Current-URL") or "")
    overview = None if on_item_page else _score_block(assessment)
    if autosave:  # only the out-of-band parts: version, footer, badges (no form, so none of its context)
        state = club_states(g.club, assessment, items=[item], answers={item.key: answer})[0]
        return render_template(
            "privacy/partials/_item_autosaved.html",
            state=state,
            names=names,
            saved=changed,
            unchanged=not changed,
            overview=overview,
        )
    ctx = _item_context(item, answer=answer, assessment=assessment, names=names, saved=changed, unchanged=not changed)
    return render_template("privacy/partials/_item_saved.html", **ctx, overview=overview)


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
    ctx["evidence"] = club_evidence(g.club)
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
    ctx["evidence"] = club_evidence(g.club)
    data = build_csv(ctx, g.club)
    _record_export("csv")
    filename = f"datenschutz-antworten-{g.club.slug}-{date.today().isoformat()}.csv"
    return Response(
        data, mimetype="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


# --- evidence on an item (issue 18, item 5) ---------------------------------------------------------------


def _evidence_response(item, *, status=200, errors=None, values=None, message=None):
    """htmx: the item's evidence section; without htmx: back to the item page (303), or the page with the
    errors (422)."""
    if not is_htmx() and not errors:
        return redirect(url_for(".item", key=item.key) + f"#evidence-{item.key}", code=303)
    ctx = _item_context(item, evidence_errors=errors or {}, evidence_values=values, evidence_message=message)
    return render_page("privacy/item.html", "privacy/partials/_evidence.html", status=status, **ctx)


@bp.post("/punkt/<key>/nachweise")
@club_access("member")
def add_evidence(key):
    """Add a file or a dated note to an item (multipart form; the board, members if the club lets them)."""
    item = _item_or_404(key)
    _check_may_add_evidence()
    kind = request.form.get("kind")
    try:
        if kind == "file":
            upload = request.files.get("file")
            data = read_upload(upload)
            add_file(g.club, item.key, data, upload.filename, by=current_user)
            message = _("Die Datei ist als Nachweis gespeichert.")
        elif kind == "note":
            text, day = parse_note(request.form.get("text"), request.form.get("noted_on"))
            add_note(g.club, item.key, text, day, by=current_user)
            message = _("Die Notiz ist als Nachweis gespeichert.")
        else:
            raise EvidenceError(_("Bitte wählen Sie, ob Sie eine Datei oder eine Notiz hinzufügen."), "kind")
    except EvidenceError as error:
        values = {"text": request.form.get("text") or "", "noted_on": request.form.get("noted_on") or ""}
        return _evidence_response(item, status=422, errors={error.field: error.message}, values=values)
    return _evidence_response(item, message=message)


@bp.get("/punkt/<key>/nachweise/<int:evidence_id>")
@club_access("member")
def download_evidence(key, evidence_id):
    """A file of the club's evidence, as an attachment (never shown inline, never cached)."""
    evidence = get_evidence(g.club, key, evidence_id)
    data = read_file(evidence) if evidence is not None and evidence.is_file else None
    if data is None:
        abort(404)
    return attachment(data, evidence.content_type, download_name(evidence))  # nosniff: every response


@bp.post("/punkt/<key>/nachweise/<int:evidence_id>/entfernen")
@club_access("member")
def remove_evidence(key, evidence_id):
    item = _item_or_404(key)
    _check_may_add_evidence()
    evidence = get_evidence(g.club, item.key, evidence_id)
    if evidence is None:
        abort(404)
    delete_evidence(g.club, evidence, by=current_user)
    return _evidence_response(item, message=_("Der Nachweis ist entfernt."))
