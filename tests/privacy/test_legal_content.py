"""Legal accuracy of the self-check (issue 17) and action texts (issue 16 item 3).

Every question carries a "Stand" date, at least one source and an action text in
German and English; the loader refuses content without them. The profile asks about
under-18s and about the two cases in which a data protection officer is required
regardless of the 20 persons; the severities follow the law.
"""

import copy
from datetime import date

import pytest

from app.extensions import db
from app.privacy.content import ContentError, publish, read_file, validate
from app.privacy.services import (
    PROFILE_QUESTIONS,
    club_assessment,
    club_states,
    current_item,
    refresh_assessment,
)

from .test_pages import url


def _item(data, key):
    return next(raw for raw in data["items"] if raw["id"] == key)


def _states(club):
    return {s.item.key: s for s in club_states(club)}


# --- every question is dated, sourced and has an action -----------------------------------


def test_every_shipped_question_has_date_sources_and_action_in_both_languages():
    data = read_file()
    validate(data)
    for raw in data["items"]:
        assert isinstance(raw["reviewed"], date), raw["id"]
        assert raw["sources"] and all(str(s["label"]).strip() for s in raw["sources"]), raw["id"]
        assert raw["action"].strip() and raw["action_en"].strip(), raw["id"]
        assert raw["action"] != raw["question"], raw["id"]  # an action, not the question again


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda raw: raw.pop("action"), "action"),
        (lambda raw: raw.pop("action_en"), "action_en"),
        (lambda raw: raw.pop("reviewed"), "reviewed"),
        (lambda raw: raw.pop("sources"), "sources"),
        (lambda raw: raw.update(sources=[]), "sources"),
        (lambda raw: raw.update(reviewed="bald"), "Datum"),
        (lambda raw: raw.update(sources=[{"url": "https://eur-lex.europa.eu/eli/reg/2016/679/oj"}]), "label"),
        (lambda raw: raw.update(sources=[{"label": "DSGVO", "url": "http://eur-lex.europa.eu/"}]), "https"),
        (lambda raw: raw.update(sources=[{"label": "DSGVO", "link": "https://x.example"}]), "link"),
    ],
)
def test_questions_without_date_source_or_action_are_rejected(mutate, message):
    data = copy.deepcopy(read_file())
    mutate(data["items"][3])
    with pytest.raises(ContentError, match=message):
        validate(data)


def test_publish_stores_action_date_and_structured_sources(app, content):
    item = current_item("proc-transfer")
    raw = _item(content, "proc-transfer")
    assert item.action_de == raw["action"] and item.action_en == raw["action_en"]
    assert item.reviewed_on == raw["reviewed"]
    assert item.sources[1] == {
        "label": raw["sources"][1]["label"],
        "label_en": raw["sources"][1]["label_en"],
        "url": "https://eur-lex.europa.eu/eli/dec_impl/2023/1795/oj",
    }
    assert item.action.startswith("Prüfen Sie")  # German outside a request
    # items published before sources had labels (bare URLs) still display
    item.sources = ["https://www.datenschutzkonferenz-online.de/dsfa.html"]
    assert item.source_links == [
        {
            "label": "https://www.datenschutzkonferenz-online.de/dsfa.html",
            "url": "https://www.datenschutzkonferenz-online.de/dsfa.html",
        }
    ]


def test_item_page_shows_stand_and_sources(roles, content, set_profile, client_for):
    set_profile(roles.club)
    client = client_for(roles.board)
    html = client.get(url(roles.club, "punkt/vvt-exists")).get_data(as_text=True)
    assert "Stand: 02.12.2026" in html
    assert (
        '<a href="https://www.datenschutz-berlin.de/themen/datenschutz-in-der-wirtschaft/'
        'verzeichnis-von-verarbeitungstaetigkeiten/" rel="noopener noreferrer">Berliner Beauftragte'
    ) in html
    assert "Vorschlag der EU-Kommission COM(2025) 501" in html  # a source without a link
    client.post("/sprache", data={"lang": "en", "next": "/"})
    html = client.get(url(roles.club, "punkt/vvt-exists")).get_data(as_text=True)
    assert "European Commission proposal COM(2025) 501" in html and "GDPR Art. 30(1)" in html


def test_only_question_severity_basis_or_conditions_make_answers_stale(app, content, roles, set_profile, answer):
    """Dates, sources and action texts can be updated without asking every club to confirm again."""
    set_profile(roles.club)
    assert answer(roles.board, roles.club, "mem-bcc", "yes").status_code == 200
    assert answer(roles.board, roles.club, "rights-objection", "yes").status_code == 200
    data = copy.deepcopy(content)
    bcc = _item(data, "mem-bcc")
    bcc.update(
        action="Neu formuliert.",
        action_en="Reworded.",
        reviewed=date(2027, 6, 1),
        sources=bcc["sources"] + [{"label": "Neue Quelle"}],
    )
    _item(data, "rights-objection")["severity"] = "Tipp"
    publish(data, note="Test")
    db.session.commit()
    states = _states(roles.club)
    assert states["mem-bcc"].item.change is None and not states["mem-bcc"].stale
    assert states["mem-bcc"].item.action_de == "Neu formuliert."
    assert states["rights-objection"].item.change == "changed" and states["rights-objection"].stale


# --- severities (issue 17, item 2) ----------------------------------------------------------


@pytest.mark.parametrize(
    "key, severity",
    [
        ("rights-objection", "Pflicht"),  # Art. 21: objection must be possible and honoured
        ("vvt-dpia", "Pflicht"),  # Art. 35(1): the DPIA screening is a duty
        ("social-page", "Pflicht"),  # Art. 13 / Art. 26(2): information on the page
        ("news-doi", "Empfehlung"),  # double opt-in proves consent; the law does not prescribe it
    ],
)
def test_severities_follow_the_law(app, content, key, severity):
    assert _item(read_file(), key)["severity"] == severity
    assert current_item(key).severity == {"Pflicht": "must", "Empfehlung": "should"}[severity]


def test_photo_rules_do_not_claim_written_form_is_required():
    raw = _item(read_file(), "photo-rules")
    assert "schriftliche Einwilligung" not in raw["question"]
    assert "nachweisbare Einwilligung" in raw["question"] and "provable consent" in raw["question_en"]
    assert "empfehlen wir die Schriftform" in raw["why"] and "recommend" in raw["why_en"]


# --- minors: the profile asks about under-18s ------------------------------------------------


def test_profile_asks_about_members_under_18_not_16(roles, content, client_for):
    page = client_for(roles.board).get(url(roles.club, "profil")).get_data(as_text=True)
    assert "Haben Sie Mitglieder oder Teilnehmende unter 18 Jahren?" in page
    assert "unter 16 Jahren" not in page


def _answer_profile(client, club, **yes):
    data = {key: "no" for key, _q, _r in PROFILE_QUESTIONS}
    data.update({key: "yes" for key, value in yes.items() if value})
    return client.post(url(club, "profil"), data=data)


def test_consent_for_minors_applies_to_a_club_whose_youngest_are_16_or_17(roles, content, client_for):
    """A club with 16- and 17-year-olds answers "under 18: yes" – the consent question must stay."""
    client = client_for(roles.board)
    assert _answer_profile(client, roles.club, under18=True).status_code == 303
    assert _states(roles.club)["consent-minors"].applicable
    page = client.get(url(roles.club, "selbstcheck")).get_data(as_text=True)
    assert f'action="/c/{roles.club.slug}/datenschutz/punkt/consent-minors"' in page

    assert _answer_profile(client, roles.club, under18=False).status_code == 303
    state = _states(roles.club)["consent-minors"]
    assert not state.applicable
    assert state.reason == "Ihr Verein hat keine Mitglieder oder Teilnehmenden unter 18 Jahren."


def test_an_old_no_to_under_16_does_not_hide_the_consent_question(roles, content, set_profile):
    """Profiles saved with the old question ("minors" = under 16) say nothing about 16- and 17-year-olds."""
    assessment = set_profile(roles.club)
    profile = {key: value for key, value in assessment.profile.items() if key != "under18"}
    profile["minors"] = False  # "no members under 16"
    assessment.profile = profile
    refresh_assessment(roles.club, assessment)
    db.session.commit()
    assert _states(roles.club)["consent-minors"].applicable


def test_consent_for_minors_keeps_art_8_for_online_services_only():
    raw = _item(read_file(), "consent-minors")
    assert "Art. 8" in raw["why"] and "Online-Dienste" in raw["why"] and "16" in raw["why"]
    assert "keine allgemeine Altersgrenze" in raw["why"]
    assert "online services offered directly to children" in raw["why_en"]


# --- data protection officer: 20 persons, DPIA, Art. 37(1)(c) --------------------------------


@pytest.mark.parametrize(
    "profile, applies",
    [
        ({"dpo20": False, "dpia": False, "art9core": False}, False),
        ({"dpo20": True, "dpia": False, "art9core": False}, True),
        ({"dpo20": False, "dpia": True, "art9core": False}, True),  # § 38 Abs. 1 S. 2 BDSG
        ({"dpo20": False, "dpia": False, "art9core": True}, True),  # Art. 37 Abs. 1 lit. c DSGVO
    ],
)
def test_appointed_dpo_question_applies_under_each_legal_trigger(roles, content, client_for, profile, applies):
    client = client_for(roles.board)
    assert _answer_profile(client, roles.club, **profile).status_code == 303
    state = _states(roles.club)["org-dpo-appointed"]
    assert state.applicable is applies
    if not applies:
        assert "Datenschutz-Folgenabschätzung" in state.reason


def test_dpo_texts_name_all_three_triggers():
    data = read_file()
    check, appointed = _item(data, "org-dpo"), _item(data, "org-dpo-appointed")
    for raw in (check, appointed):
        assert "20" in raw["why"] and "Folgenabschätzung" in raw["why"] and "besonders geschützte" in raw["why"]
    assert "Art. 37 Abs. 1 lit. c" in appointed["legal_basis"]


def test_profile_answers_for_the_new_questions_are_stored(roles, content, client_for):
    client = client_for(roles.board)
    _answer_profile(client, roles.club, under18=True, dpia=True)
    profile = club_assessment(roles.club).profile
    assert profile["under18"] is True and profile["dpia"] is True and profile["art9core"] is False


# --- corrections in the questions' explanations -----------------------------------------------


def test_corrected_statements_in_the_questions():
    data = read_file()
    mem_lists = _item(data, "mem-lists")
    assert "II ZR 219/09" in mem_lists["why"] and "Amtsgericht" in mem_lists["why"]
    assert "nicht nur" in mem_lists["why"]  # the list claim exists outside § 37 BGB too
    vfb = _item(data, "mem-no-third")
    assert "VfB Stuttgart 1893 AG" in vfb["why"] and "Rechenschaftspflicht" in vfb["why"]
    assert "nicht für die" in vfb["why"] and "accountability" in vfb["why_en"]
    art9 = _item(data, "basis-art9")
    assert "nicht einwilligen kann" in art9["why"] and "ausdrückliche Einwilligung" in art9["why"]
    cctv = _item(data, "del-cctv")
    assert "72 Stunden" in cctv["question"] and "72 hours" in cctv["question_en"]
    assert any("Videoüberwachung" in s["label"] for s in cctv["sources"])
    leavers = _item(data, "del-leavers")
    assert "Regel des Vereins" in leavers["why"] and "club rule" in leavers["why_en"]
    notice = _item(data, "web-notice")
    assert "E-Mail-Adresse" in notice["why"] and "Registereintrag" in notice["why"] and "§ 18" in notice["why"]
    assert "German Digital Services Act (DDG)" in notice["why_en"]
    mem72a = _item(data, "mem-72a")
    assert "sechs Monate" in mem72a["why"] and "six months" in mem72a["why_en"]


def test_video_question_no_longer_says_the_platform_avoids_processor_questions():
    data = read_file()
    video, avv = _item(data, "proc-video"), _item(data, "proc-avv")
    assert "meist unproblematisch" not in video["why"]
    assert "selbst betreibt" in video["why"] and "Auftragsverarbeiter" in video["why"]
    assert "Betreiber des Vereinsraums" in video["why"] and "operator of Vereinsraum" in video["why_en"]
    assert "Betreiber des Vereinsraums" in avv["why"] and "Betreiber des Vereinsraums" in avv["action"]
    # § 32 Abs. 2 BGB: hybrid by whoever convenes unless excluded; virtual-only needs a prior resolution
    assert "wer einberuft" in video["why"] and "Satzung sie nicht ausschließt" in video["why"]
    assert "rein virtuelle brauchen vorher einen Beschluss" in video["why"]


@pytest.mark.parametrize("key", ["vvt-exists", "breach-plan", "org-dpo"])
def test_law_in_flux_carries_a_dated_notice(key):
    raw = _item(read_file(), key)
    assert "Hinweis (Stand 12/2026)" in raw["why"] and "Note (as of 12/2026)" in raw["why_en"]


def test_content_vocabulary_avoids_offen():
    """„Offen“ means one thing in the UI (not yet done); the content does not use it for anything else."""
    import re

    for raw in read_file()["items"]:
        for field in ("question", "why", "action"):
            assert not re.search(r"\boffen(e[nmrs]?)?\b", raw[field], re.IGNORECASE), (raw["id"], field)
