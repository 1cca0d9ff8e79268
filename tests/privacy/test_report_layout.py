"""Issue 16 item 7: the PDF report looks right – left-aligned text (no justified gaps), the score drawn
as a bar, measures and answers set apart as their own parts."""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import Align


def _context(roles, app, set_profile, answer):
    from flask import g

    from app.privacy import routes

    set_profile(roles.club)
    answer(roles.board, roles.club, "mem-bcc", "yes")
    answer(roles.board, roles.club, "breach-plan", "no", note="Übung fällt aus")
    with app.test_request_context():
        g.club = roles.club
        g.membership = None
        ctx = routes._overview()
        ctx["open"] = [s for s in ctx["states"] if s.is_open]
    return ctx


def test_pdf_text_is_left_aligned_score_is_a_bar_parts_are_set_apart(
    roles, content, set_profile, answer, app, monkeypatch
):
    from app.privacy.export import build_pdf

    ctx = _context(roles, app, set_profile, answer)
    texts, rects, lines = [], [], []
    multi_cell, rect, line = FPDF.multi_cell, FPDF.rect, FPDF.line

    def spy_multi_cell(self, w, h=None, text="", *args, **kwargs):
        align = args[1] if len(args) > 1 else kwargs.get("align", Align.J)
        texts.append((str(text), Align.coerce(align), kwargs.get("fill", False)))
        return multi_cell(self, w, h, text, *args, **kwargs)

    def spy_rect(self, x, y, w, h, style=None, *args, **kwargs):
        rects.append((round(w, 2), style))
        return rect(self, x, y, w, h, style, *args, **kwargs)

    def spy_line(self, *args, **kwargs):
        lines.append(args)
        return line(self, *args, **kwargs)

    monkeypatch.setattr(FPDF, "multi_cell", spy_multi_cell)
    monkeypatch.setattr(FPDF, "rect", spy_rect)
    monkeypatch.setattr(FPDF, "line", spy_line)
    with app.test_request_context():
        data = build_pdf(roles.club, ctx, unicode_font=False)
    assert data.startswith(b"%PDF")

    assert texts and all(align is Align.L for _text, align, _fill in texts), [t for t in texts if t[1] is not Align.L]
    score = ctx["score"]
    assert score is not None
    # the bar: a 100 mm frame and a filled part of score mm
    assert (100, "DF") in rects and (round(100 * score / 100, 2), "F") in rects
    # measures and answers each start a shaded part under a rule
    shaded = [text for text, _align, fill in texts if fill]
    assert shaded == ["Offene Maßnahmen", "Alle Antworten"]
    assert len(lines) >= 2


def test_action_plan_cells_carry_their_column_labels_for_phones(roles, content, set_profile, answer, client_for):
    """On a phone the plan's rows stack; each cell carries its column's label (shown by app.css)."""
    import re
    from pathlib import Path

    set_profile(roles.club)
    answer(roles.board, roles.club, "sec-backup", "no")
    html = client_for(roles.member).get(f"/c/{roles.club.slug}/datenschutz/massnahmen").get_data(as_text=True)
    headers = re.findall(r'<th scope="col">([^<]+)</th>', html.split("<thead>", 1)[1].split("</thead>", 1)[0])
    row = html.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert re.findall(r'<td data-label="([^"]+)"', row) == headers
    css = (Path(__file__).resolve().parents[2] / "app" / "static" / "css" / "app.css").read_text(encoding="utf-8")
    assert ".table td[data-label]::before { content: attr(data-label);" in css


def test_pdf_lists_measures_as_actions_and_the_unanswered_as_one_line(roles, content, set_profile, answer, app):
    """As in the action plan: only "Nein"/"Teilweise" answers become measures, worded as actions; questions
    without an answer are one counted line, not a list of questions."""
    import io

    from pypdf import PdfReader

    from app.privacy.export import build_pdf
    from app.privacy.services import current_item

    ctx = _context(roles, app, set_profile, answer)
    with app.test_request_context():
        item = current_item("breach-plan")
        unanswered = sum(1 for s in ctx["states"] if s.counted and s.effective_status is None)
        data = build_pdf(roles.club, ctx, unicode_font=True)
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)
    measures = text[text.index("Offene Maßnahmen") : text.index("Alle Antworten")]
    assert item.action and " ".join(item.action.split())[:40] in measures
    assert f"{unanswered} Fragen noch nicht beantwortet." in measures
    assert unanswered > 2
    mem_bcc = " ".join(current_item_question(app, "mem-bcc").split())[:40]
    assert mem_bcc not in measures  # answered "Ja": no measure


def current_item_question(app, key):
    from app.privacy.services import current_item

    with app.test_request_context():
        return current_item(key).question
