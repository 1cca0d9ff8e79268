"""Statistics on a small known data set, the CSV export, and constant query counts."""

import csv
import io
from datetime import timedelta

import pytest

from app.clubs.models import Club, ClubStatus
from app.core.db import utcnow
from app.extensions import db


@pytest.fixture
def known(roles, make_club, assess):
    """Approved: Imkerverein Pankow (no check), Anderer Verein (started, no score), A (85), B (40)."""
    from app.meetings.models import MeetingRun
    from app.privacy.models import Answer, ChecklistItem, ChecklistTopic, ChecklistVersion

    old = ChecklistVersion(number=1, content_hash="old")
    version = ChecklistVersion(number=2, content_hash="new")
    db.session.add_all([old, version])
    db.session.flush()
    for key, title in (("a", "Thema A"), ("b", "Thema B")):
        db.session.add(ChecklistTopic(version_id=version.id, key=key, title_de=title, title_en=title))
    for key, severity in (("m1", "must"), ("m2", "must"), ("s1", "should")):
        db.session.add(
            ChecklistItem(
                version_id=version.id,
                key=key,
                topic_key="a",
                severity=severity,
                question_de=f"Frage {key}",
                question_en=f"Question {key}",
                why_de="",
                why_en="",
                legal_basis="",
                content_hash=key,
            )
        )
    db.session.add(
        ChecklistItem(
            version_id=old.id,
            key="m1",
            topic_key="a",
            severity="must",
            question_de="Alt m1",
            question_en="",
            why_de="",
            why_en="",
            legal_basis="",
            content_hash="old",
        )
    )
    a = make_club(name="Verein A", district="Mitte")
    b = make_club(name="Verein B", district="Mitte")
    make_club(name="Verein Wartet", district="Mitte", status="pending")
    suspended = make_club(name="Verein Gesperrt", district="Neukölln", status="suspended")
    assess(a, score=85, topics={"a": 80, "b": 90})
    assess(b, score=40, topics={"a": 20, "b": 60})
    assess(roles.other_club, score=None, topics={})
    assess(suspended, score=10, topics={"a": 0, "b": 0})
    for club, key, status in (
        (a, "m1", "no"),
        (a, "m2", "partial"),
        (a, "s1", "no"),
        (b, "m1", "no"),
        (b, "m2", "yes"),
        (roles.other_club, "m1", "partial"),
        (suspended, "m2", "no"),
    ):
        db.session.add(Answer(club_id=club.id, item_key=key, status=status))
    now = utcnow()
    for club, delta in ((a, timedelta(0)), (b, timedelta(0)), (a, timedelta(weeks=3)), (b, timedelta(weeks=20))):
        db.session.add(MeetingRun(club_id=club.id, started_at=now - delta))
    db.session.commit()
    return dict(a=a, b=b)


def test_statistics_are_correct(known):
    from app.admin.statistics import statistics

    stats = statistics()
    assert stats.by_status == {ClubStatus.APPROVED: 4, ClubStatus.PENDING: 1, ClubStatus.SUSPENDED: 1}
    districts = {d: (counts, total) for d, counts, total in stats.by_district}
    assert districts["Mitte"] == ({ClubStatus.APPROVED: 2, ClubStatus.PENDING: 1}, 3)
    assert districts["Pankow"][1] == 2 and districts["Neukölln"][1] == 1
    assert stats.adoption == {"not_started": 1, "none": 1, "high": 1, "low": 1}
    assert (stats.approved, stats.started) == (4, 3)
    # topic averages and open items cover every club that uses the self-check (incl. the suspended one)
    assert stats.topic_averages == [("a", "Thema A", 33, 3), ("b", "Thema B", 50, 3)]
    assert stats.open_items == [("m1", "Frage m1", "Thema A", 3), ("m2", "Frage m2", "Thema A", 2)]
    weeks = stats.meetings_per_week
    assert len(weeks) == 12 and weeks[-1][1] == 2 and weeks[-4][1] == 1 and sum(n for _, n in weeks) == 3
    assert weeks[-1][0].weekday() == 0


def test_dashboard_page(known, staff_client):
    html = staff_client.get("/admin/statistik").get_data(as_text=True)
    assert html.count('<svg role="img"') >= 5
    assert '<title id="chart-status-title">Vereine nach Status</title>' in html
    assert '<desc id="chart-status-desc">' in html
    assert "Frage m1" in html and "3 von 4 freigeschalteten Vereinen" in html
    assert "Zahlen als Tabelle" in html


def test_csv_export_has_aggregates_only(known, roles, staff_client):
    response = staff_client.get("/admin/statistik.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["bereich", "schluessel", "wert"]
    data = {(r[0], r[1]): r[2] for r in rows[1:]}
    assert data[("vereine_nach_status", "approved")] == "4"
    assert data[("vereine_nach_bezirk", "Mitte")] == "3"
    assert data[("vereine_nach_bezirk_und_status", "Mitte/pending")] == "1"
    assert data[("selbstcheck", "begonnen")] == "3"
    assert data[("selbstcheck_score_band", "high")] == "1"
    assert data[("durchschnitt_je_thema", "b")] == "50"
    assert data[("offene_pflichtpunkte", "m1")] == "3"
    assert sum(int(v) for (k, _), v in data.items() if k == "konferenzen_pro_woche") == 3
    for person in (roles.board, roles.member, roles.staff):
        assert person.email not in text and person.name not in text
    assert "@" not in text and "Verein A" not in text


def _add_clubs(n, start):
    for i in range(start, start + n):
        db.session.add(
            Club(
                slug=f"q-{i}",
                name=f"Massenverein {i}",
                legal_form="ev",
                district="Mitte",
                contact_email="x@example.org",
                status=ClubStatus.APPROVED,
            )
        )
    db.session.commit()


def test_query_counts_do_not_grow_with_clubs(known, roles, staff_client, count_queries):
    urls = [
        "/admin/vereine",
        "/admin/vereine?q=verein&bezirk=Mitte&score=high&sortierung=-score",
        "/admin/statistik",
        "/admin/statistik.csv",
        f"/admin/vereine/{known['a'].id}",
        "/admin/protokoll",
    ]

    def measure():
        counts = {}
        for url in urls:
            db.session.expire_all()  # the test shares the request's session: start each request cold
            with count_queries() as q:
                assert staff_client.get(url).status_code == 200
            counts[url] = q.count
        return counts

    before = measure()
    _add_clubs(60, 0)
    after = measure()
    assert before == after
    assert max(after.values()) <= 14, after  # the club page: facts, registrant, 2FA of the board, chat jobs


def test_district_status_table(known, staff_client):
    import re

    html = staff_client.get("/admin/statistik").get_data(as_text=True)
    table = html[html.index('id="district-status"') :]
    row = re.search(r'<th scope="row">Mitte</th>((?:<td>\d+</td>)+)', table).group(1)
    expected = [str({ClubStatus.PENDING: 1, ClubStatus.APPROVED: 2}.get(s, 0)) for s in ClubStatus] + ["3"]
    assert re.findall(r"<td>(\d+)</td>", row) == expected


def test_statistics_are_cached_briefly(app, known, staff_client, make_club, count_queries):
    app.config["ADMIN_STATS_CACHE_SECONDS"] = 60
    first = staff_client.get("/admin/statistik").get_data(as_text=True)
    assert "Jetzt neu berechnen" in first and "Stand:" in first
    make_club(name="Noch ein Verein", district="Spandau")
    db.session.expire_all()
    with count_queries() as q:
        cached = staff_client.get("/admin/statistik").get_data(as_text=True)
    assert q.count <= 2 and "Spandau" not in cached  # reused, no aggregate ran
    fresh = staff_client.get("/admin/statistik?neu=1").get_data(as_text=True)
    assert "Spandau" in fresh


def test_chart_labels_wrap_instead_of_being_cut_off(app):
    """Issue 16 item 7: long labels ("Verarbeitungsverzeichnis und Nachweise") were cut at the chart's left
    edge; now every label line fits the label column and the whole label is drawn."""
    from flask import render_template_string

    from app.admin.charts import LABEL_CHARS, LABEL_WIDTH, bar_chart

    labels = [
        "Verarbeitungsverzeichnis und Nachweise",
        "Website, Newsletter, soziale Netzwerke und Fotos",
        "Dienstleister und Online-Werkzeuge",
        "Kurz",
    ]
    chart = bar_chart("chart-test", "Test", "Test", [(label, 50) for label in labels], max_value=100)
    assert LABEL_CHARS * 7.5 <= LABEL_WIDTH - 8  # a line of the longest kind fits (13px text)
    for bar, label in zip(chart["bars"], labels, strict=True):
        assert " ".join(bar["lines"]).replace("- ", "-") == label
        assert all(len(line) <= LABEL_CHARS for line in bar["lines"])
    ys = [bar["y"] for bar in chart["bars"]]
    assert ys == sorted(ys) and all(b - a >= 28 for a, b in zip(ys, ys[1:], strict=False))  # rows never overlap
    assert chart["height"] >= ys[-1] + 18
    with app.test_request_context():
        svg = render_template_string(
            '{% from "admin/_macros.html" import bar_chart %}{{ bar_chart(chart) }}', chart=chart
        )
    assert "…" not in svg
    assert ">Verarbeitungsverzeichnis</tspan>" in svg and ">und Nachweise</tspan>" in svg


def test_charts_without_data_show_an_empty_state_not_a_column_of_labels(staff_client):
    """Issue 19: with no meetings the weekly chart drew twelve oversized week labels and no bars."""
    import re

    html = staff_client.get("/admin/statistik").get_data(as_text=True)
    meetings = re.search(r'<figure class="chart[^"]*" id="chart-meetings">(.*?)</figure>', html, re.S)
    assert meetings is not None and "chart-empty" in meetings.group(0)
    assert "Noch keine Daten." in meetings.group(1) and "<svg" not in meetings.group(1)
    assert not re.search(r"Woche ab \d", meetings.group(1))
    topics = re.search(r'id="chart-topics">(.*?)</figure>', html, re.S)
    assert topics is not None and "Noch keine Daten." in topics.group(1)


def test_every_chart_is_drawn_at_one_scale(known, staff_client):
    import re

    html = staff_client.get("/admin/statistik").get_data(as_text=True)
    sizes = re.findall(r'<svg role="img"[^>]*viewBox="0 0 (\d+) (\d+)"[^>]*width="(\d+)" height="(\d+)"', html)
    assert len(sizes) >= 5
    assert {(w, vw) for vw, _vh, w, _h in sizes} == {("640", "640")}  # same width, drawn 1:1
    assert all(vh == h for _vw, vh, _w, h in sizes)  # height follows the rows: one row is as tall everywhere
    # every chart sits in a two-column grid, so none is stretched wider than the others
    for chart_id in ("chart-status", "chart-district", "chart-adoption", "chart-topics", "chart-meetings"):
        before = html[: html.index(f'id="{chart_id}"')]
        assert before.rfind('<div class="grid-2">') > before.rfind("</div>\n</section>"), chart_id


def test_open_items_leave_out_pflicht_items_nobody_has_open_and_stop_at_ten(known):
    from app.admin.queries import current_version_id
    from app.admin.statistics import statistics
    from app.privacy.models import Answer, ChecklistItem

    version = current_version_id()
    for i in range(12):
        key = f"x{i:02d}"
        db.session.add(
            ChecklistItem(
                version_id=version,
                key=key,
                topic_key="a",
                severity="must",
                question_de=f"Frage {key}",
                question_en="",
                why_de="",
                why_en="",
                legal_basis="",
                content_hash=key,
            )
        )
        status = "yes" if i == 0 else "no"  # x00: answered by a club, but nobody has it open
        db.session.add(Answer(club_id=known["a"].id, item_key=key, status=status))
    db.session.commit()
    keys = [key for key, *_rest in statistics().open_items]
    assert len(keys) == 10
    assert keys[:2] == ["m1", "m2"]  # 3 and 2 clubs with it open, then the ones with 1, by key
    assert keys[2:] == [f"x{i:02d}" for i in range(1, 9)]
    assert "x00" not in keys
