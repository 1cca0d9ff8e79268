"""Dated, sourced content: the "Stand" date and the source list of a legal text.

Checklist items and guide pages carry ``reviewed`` (the date the legal content
was last checked, shown as "Stand: …") and ``sources``: a list of
``{label, url?, label_en?}`` – a statute, a court decision or an authority's
guidance, with an optional https link. Both loaders use these helpers, so the
two kinds of content follow one format.
"""

from __future__ import annotations

from datetime import date


class SourceError(ValueError):
    """A ``reviewed`` date or a source list does not have the agreed form."""


def parse_reviewed(value) -> date:
    """``reviewed`` as a date (YAML gives a date; a quoted ISO string is accepted too)."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError):
        raise SourceError("„reviewed“ (Stand) muss ein Datum sein, z. B. 2026-12-02.") from None


def parse_sources(value) -> list[dict]:
    """At least one source, each a mapping with a label and an optional https URL."""
    if not isinstance(value, list) or not value:
        raise SourceError("Es fehlt mindestens eine Quelle (sources).")
    parsed = []
    for raw in value:
        if not isinstance(raw, dict) or not str(raw.get("label") or "").strip():
            raise SourceError("Quellen brauchen die Form {label: …, url: https://…} (url ist freiwillig).")
        unknown = set(raw) - {"label", "label_en", "url"}
        if unknown:
            raise SourceError(f"Unbekannte Angaben in einer Quelle: {', '.join(sorted(unknown))}.")
        url = str(raw.get("url") or "").strip()
        if url and not url.startswith("https://"):
            raise SourceError("Quellen-Links müssen https-Links sein.")
        source = {"label": str(raw["label"]).strip()}
        if str(raw.get("label_en") or "").strip():
            source["label_en"] = str(raw["label_en"]).strip()
        if url:
            source["url"] = url
        parsed.append(source)
    return parsed


def localized_sources(sources, english: bool) -> list[dict]:
    """``[{label, url}]`` in the wanted language; older content stored bare URLs."""
    result = []
    for source in sources or []:
        if isinstance(source, str):  # content versions published before sources had labels
            result.append({"label": source, "url": source})
            continue
        label = (source.get("label_en") if english else None) or source.get("label") or source.get("url") or ""
        result.append({"label": label, "url": source.get("url")})
    return result
