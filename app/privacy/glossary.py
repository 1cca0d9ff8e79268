"""Jargon in the self-check, spelled out at first use with a short "Was heißt das?".

The long explanations live on the guide's glossary page (``/wissen/glossar``); its headings are the anchors.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Term:
    label: str  # as it appears in the text
    anchor: str  # heading anchor on the glossary page
    spelled_out: str
    meaning: str
    patterns: tuple[str, ...]  # German and English spellings found in item texts


TERMS = (
    Term(
        _l("VVT"),
        "vvt",
        _l("Verzeichnis von Verarbeitungstätigkeiten"),
        _l("eine Übersicht, welche Daten Ihr Verein wofür verarbeitet, an wen sie gehen und wann sie gelöscht werden."),
        ("VVT", "records of processing"),
    ),
    Term(
        _l("AVV"),
        "avv",
        _l("Vertrag zur Auftragsverarbeitung"),
        _l("der Vertrag mit einem Dienstleister, der Daten im Auftrag Ihres Vereins verarbeitet."),
        ("AVV", "processing agreement"),
    ),
    Term(
        _l("Data Privacy Framework"),
        "data-privacy-framework",
        _l("EU-US-Datenschutzrahmen"),
        _l("eine Vereinbarung von 2023: US-Firmen auf der offiziellen Liste dürfen Daten aus der EU erhalten."),
        ("Data Privacy Framework",),
    ),
    Term(
        _l("Standardvertragsklauseln"),
        "standardvertragsklauseln",
        _l("Musterverträge der EU-Kommission"),
        _l("vorgegebene Vertragstexte, mit denen Daten an einen Anbieter außerhalb der EU gehen dürfen."),
        ("Standardvertragsklauseln", "standard contractual clauses"),
    ),
    Term(
        _l("Rechenschaftspflicht"),
        "rechenschaftspflicht",
        _l("Nachweispflicht"),
        _l("Ihr Verein muss die Regeln nicht nur einhalten, sondern auch zeigen können, dass er es tut."),
        ("Rechenschaftspflicht", "accountability"),
    ),
    Term(
        _l("Inhaltsversion"),
        "inhaltsversion",
        _l("Fassung der Fragen"),
        _l("die nummerierte Fassung der Fragen im Selbstcheck; ändert sich eine Frage, gibt es eine neue."),
        ("Inhaltsversion",),
    ),
)


def terms_in(*texts: str | None) -> list[Term]:
    """The terms that occur in any of the texts (case-insensitive), in glossary order."""
    return list(_terms_in(tuple(str(t) for t in texts if t)))


@lru_cache(maxsize=4096)
def _terms_in(texts: tuple[str, ...]) -> tuple[Term, ...]:
    # A pure function of the texts (the patterns are fixed): the checklist asks it for every item on every
    # save and page, always with the same few hundred question texts.
    haystack = " ".join(texts).casefold()
    return tuple(term for term in TERMS if any(p.casefold() in haystack for p in term.patterns))


def first_uses(states) -> dict[str, list[Term]]:
    """{item key: terms explained there}: each term once, at the first applicable item (page order) using it."""
    seen: set[str] = set()
    result: dict[str, list[Term]] = {}
    for state in states:
        if not state.applicable:
            continue
        new = [t for t in terms_in(state.item.question, state.item.why) if t.anchor not in seen]
        if new:
            result[state.item.key] = new
            seen.update(t.anchor for t in new)
    return result
