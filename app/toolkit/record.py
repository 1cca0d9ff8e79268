"""The record of processing activities (Art. 30 Abs. 1 DSGVO): fields, and the typical club activities.

The prefilled text is German on purpose: it is the club's own legal document, kept for the Berlin authority.
Which activities are suggested follows the self-check profile flags (``privacy.services.profile_flags``).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

#: (key, label, "Was heißt das?") – the columns of one activity, Art. 30(1)(b)–(g).
FIELDS = (
    ("purpose", _l("Zweck"), _l("Wofür der Verein die Daten braucht (Art. 30 Abs. 1 lit. b DSGVO).")),
    (
        "legal_basis",
        _l("Rechtsgrundlage"),
        _l("Warum der Verein das darf, z. B. Mitgliedschaft (Art. 6 Abs. 1 lit. b) oder Einwilligung (lit. a)."),
    ),
    ("people", _l("Betroffene Personen"), _l("Über wen Daten gespeichert werden, z. B. Mitglieder, Eltern, Gäste.")),
    ("data_categories", _l("Datenkategorien"), _l("Welche Arten von Daten, z. B. Name, Anschrift, Bankverbindung.")),
    (
        "recipients",
        _l("Empfänger"),
        _l(
            "Wer die Daten bekommt oder für den Verein verarbeitet: Dachverband, Bank, Versicherung, "
            "Auftragsverarbeiter wie Vereinssoftware oder Hosting (lit. d)."
        ),
    ),
    (
        "transfers",
        _l("Übermittlung in Drittländer"),
        _l("Ob Daten in Länder außerhalb der EU gehen, z. B. an US-Dienste, und auf welcher Grundlage (lit. e)."),
    ),
    ("retention", _l("Löschfristen"), _l("Wann die Daten gelöscht werden (lit. f).")),
    (
        "toms",
        _l("Technische und organisatorische Maßnahmen"),
        _l("Wie die Daten geschützt sind, z. B. Passwörter, Zugriff nur für Zuständige, Verschlüsselung (lit. g)."),
    ),
)
FIELD_KEYS = tuple(key for key, _label, _hint in FIELDS)
#: At most this many activities in one record (the editor shows one empty row more while there is room).
MAX_ACTIVITIES = 40


@dataclass(frozen=True)
class Activity:
    key: str
    flags: tuple[str, ...]  # suggested when any of these profile flags is set; () = always
    name: str
    values: dict


_TOMS = (
    "Zugriff nur für die zuständigen Funktionsträger; Passwortschutz und Bildschirmsperre auf allen Geräten; "
    "Geräte und Datenträger verschlüsselt; Papierunterlagen verschlossen; Weitergabe nur an Berechtigte."
)

ACTIVITIES = (
    Activity(
        "members",
        (),
        "Mitgliederverwaltung",
        {
            "purpose": "Aufnahme, Betreuung und Austritt der Mitglieder; Einladungen zu Versammlungen; "
            "Organisation des Vereinslebens nach der Satzung.",
            "legal_basis": "Art. 6 Abs. 1 lit. b DSGVO (Mitgliedschaft nach der Satzung).",
            "people": "Mitglieder; bei Minderjährigen die gesetzlichen Vertreter.",
            "data_categories": "Name, Anschrift, Geburtsdatum, Eintrittsdatum, Abteilung; E-Mail-Adresse und Telefonnummer, "
            "soweit angegeben.",
            "recipients": "Vorstand und zuständige Funktionsträger; Vereinsraum (Auftragsverarbeiter für den "
            "Arbeitsbereich).",
            "transfers": "Keine.",
            "retention": "Bis zum Austritt; danach, solange Ansprüche bestehen können, längstens bis zum Ende des "
            "dritten Jahres nach dem Austrittsjahr (§§ 195, 199 BGB).",
            "toms": _TOMS,
        },
    ),
    Activity(
        "fees",
        (),
        "Beitragseinzug per SEPA-Lastschrift",
        {
            "purpose": "Einzug der Mitgliedsbeiträge und Buchführung.",
            "legal_basis": "Art. 6 Abs. 1 lit. b DSGVO (Beitragspflicht); Art. 6 Abs. 1 lit. c DSGVO mit § 147 AO "
            "(Aufbewahrung).",
            "people": "Mitglieder und Kontoinhaber.",
            "data_categories": "Name, IBAN, Mandatsreferenz, Datum des Mandats, Beitragsbuchungen.",
            "recipients": "Kreditinstitut des Vereins (eigener Verantwortlicher); Kassenprüfer; ggf. Steuerberatung.",
            "transfers": "Keine.",
            "retention": "Buchungsbelege acht Jahre, Bücher und Jahresabschlüsse zehn Jahre ab Ende des "
            "Kalenderjahres (§ 147 AO); das Lastschriftmandat bis mindestens 14 Monate nach der letzten Lastschrift.",
            "toms": "Bankdaten sieht nur die Kasse; Online-Banking mit zweitem Faktor. " + _TOMS,
        },
    ),
    Activity(
        "umbrella",
        ("umbrella",),
        "Meldungen an Dachverband und Landessportbund",
        {
            "purpose": "Bestandsmeldung, Spielerpässe und Lizenzen, Teilnahme am Wettkampfbetrieb, Versicherung.",
            "legal_basis": "Art. 6 Abs. 1 lit. b DSGVO (Satzung und Mitgliedschaft im Verband).",
            "people": "Mitglieder, soweit sie am Verbandsbetrieb teilnehmen.",
            "data_categories": "Name, Geburtsdatum, Geschlecht, Vereinszugehörigkeit; bei Lizenzen die dafür nötigen Angaben.",
            "recipients": "Dachverband, Fachverband, Landessportbund Berlin, Sportversicherung.",
            "transfers": "Keine.",
            "retention": "Beim Verein wie Mitgliederverwaltung; beim Verband nach dessen Regeln.",
            "toms": _TOMS,
        },
    ),
    Activity(
        "newsletter",
        ("newsletter",),
        "Newsletter",
        {
            "purpose": "Information über Angebote und Termine des Vereins.",
            "legal_basis": "Art. 6 Abs. 1 lit. a DSGVO (Einwilligung mit Double-Opt-in) für Außenstehende; "
            "Art. 6 Abs. 1 lit. b DSGVO für Vereinsinformationen an Mitglieder.",
            "people": "Abonnentinnen und Abonnenten, Mitglieder.",
            "data_categories": "E-Mail-Adresse, Name (freiwillig), Zeitpunkt und Nachweis der Einwilligung.",
            "recipients": "Versanddienst (Auftragsverarbeiter).",
            "transfers": "Keine, sofern der Versanddienst in der EU arbeitet.",
            "retention": "Bis zur Abmeldung; der Nachweis der Einwilligung, solange er benötigt wird.",
            "toms": "Abmeldelink in jeder Ausgabe; Versand nur über den Versanddienst, nie im offenen Verteiler.",
        },
    ),
    Activity(
        "website",
        ("website", "social"),
        "Website und Social Media",
        {
            "purpose": "Darstellung des Vereins; Kontaktaufnahme über das Kontaktformular.",
            "legal_basis": "Art. 6 Abs. 1 lit. f DSGVO (berechtigtes Interesse am Betrieb der Website); § 25 TDDDG.",
            "people": "Besucherinnen und Besucher der Website, Personen, die Kontakt aufnehmen.",
            "data_categories": "Technische Zugriffsdaten (IP-Adresse, Zeitpunkt), Inhalte von Anfragen.",
            "recipients": "Hosting-Anbieter (Auftragsverarbeiter); Plattformbetreiber bei Social Media "
            "(gemeinsame Verantwortung).",
            "transfers": "Keine beim Hosting in der EU; bei US-Plattformen Angemessenheitsbeschluss (EU-US Data "
            "Privacy Framework) prüfen.",
            "retention": "Zugriffsdaten höchstens sieben Tage; Anfragen nach Erledigung.",
            "toms": "HTTPS; keine Tracker oder eingebetteten Inhalte Dritter ohne Einwilligung; Updates.",
        },
    ),
    Activity(
        "photos",
        ("photos",),
        "Fotos bei Veranstaltungen",
        {
            "purpose": "Berichte über das Vereinsleben auf der Website, in Social Media und in der Vereinszeitung.",
            "legal_basis": "Art. 6 Abs. 1 lit. f DSGVO für Übersichtsaufnahmen mit Hinweis vor Ort; Art. 6 Abs. 1 "
            "lit. a DSGVO (Einwilligung) für Porträts und Fotos von Kindern; §§ 22, 23 KUG.",
            "people": "Teilnehmende an Veranstaltungen, Mitglieder.",
            "data_categories": "Fotos, ggf. Namen in Bildunterschriften.",
            "recipients": "Öffentlichkeit (Veröffentlichung).",
            "transfers": "Bei Social-Media-Plattformen außerhalb der EU möglich.",
            "retention": "Bis zum Widerruf oder Widerspruch; Einwilligungen, solange das Foto genutzt wird.",
            "toms": "Einwilligungen werden abgelegt; Fotos werden bei Widerruf entfernt.",
        },
    ),
    Activity(
        "youth",
        ("youth72a", "under18"),
        "Kinder- und Jugendarbeit, erweiterte Führungszeugnisse",
        {
            "purpose": "Betreuung Minderjähriger; Schutz vor Kindeswohlgefährdung (§ 72a SGB VIII).",
            "legal_basis": "Art. 6 Abs. 1 lit. b DSGVO; Art. 6 Abs. 1 lit. c und Art. 10 DSGVO mit § 72a SGB VIII "
            "für die Einsichtnahme in Führungszeugnisse.",
            "people": "Minderjährige Mitglieder und ihre Eltern; Trainerinnen, Trainer, Betreuende.",
            "data_categories": "Notfallkontakte; zum Führungszeugnis nur: Name, Datum des Zeugnisses, Tag der Einsichtnahme, "
            "ob eine einschlägige Eintragung vorliegt.",
            "recipients": "Keine.",
            "transfers": "Keine.",
            "retention": "Angaben zum Führungszeugnis sofort löschen, wenn die Tätigkeit nicht aufgenommen wird, "
            "sonst spätestens sechs Monate nach ihrem Ende (§ 72a Abs. 5 SGB VIII).",
            "toms": "Das Zeugnis wird nur eingesehen, nicht kopiert; Zugriff nur für die beauftragte Person.",
        },
    ),
    Activity(
        "events",
        ("events",),
        "Veranstaltungen und Kurse mit Anmeldung",
        {
            "purpose": "Anmeldung, Organisation und Abrechnung von Veranstaltungen, Kursen und Reisen.",
            "legal_basis": "Art. 6 Abs. 1 lit. b DSGVO; Art. 9 Abs. 2 lit. a DSGVO für freiwillige "
            "Gesundheitsangaben (z. B. Allergien auf Reisen).",
            "people": "Teilnehmende, bei Minderjährigen die Eltern.",
            "data_categories": "Name, Kontakt, ggf. Notfallkontakt und Gesundheitsangaben, Zahlungen.",
            "recipients": "Veranstaltungsleitung; ggf. Unterkunft oder Reiseveranstalter.",
            "transfers": "Keine.",
            "retention": "Gesundheitsangaben nach der Veranstaltung; Teilnahmelisten nach Abrechnung; "
            "Buchungsbelege nach § 147 AO.",
            "toms": "Gesundheitsangaben getrennt und nur für die Leitung zugänglich. " + _TOMS,
        },
    ),
    Activity(
        "online",
        ("tools", "video", "messenger"),
        "Videokonferenzen, Team-Chat und Online-Werkzeuge",
        {
            "purpose": "Sitzungen, Versammlungen und Absprachen des Vereins online.",
            "legal_basis": "Art. 6 Abs. 1 lit. b DSGVO (Vereinsarbeit); Art. 6 Abs. 1 lit. f DSGVO für Gäste.",
            "people": "Mitglieder, Vorstand, eingeladene Gäste.",
            "data_categories": "Name, E-Mail-Adresse, Ton und Bild während der Konferenz, Chat-Nachrichten und Dateien.",
            "recipients": "Vereinsraum (BigBlueButton, Mattermost) und weitere Anbieter als Auftragsverarbeiter, "
            "jeweils mit Vertrag nach Art. 28 DSGVO.",
            "transfers": "Keine bei Vereinsraum; andere Anbieter prüfen.",
            "retention": "Aufzeichnungen nur mit Hinweis und nach den Einstellungen des Vereins; Nachrichten, "
            "solange sie für die Vereinsarbeit nötig sind.",
            "toms": "Warteraum und Zugangscode für Gäste; Aufzeichnung nur nach Hinweis. " + _TOMS,
        },
    ),
    Activity(
        "staff",
        ("employees",),
        "Beschäftigte und Honorarkräfte",
        {
            "purpose": "Durchführung der Arbeits- und Honorarverträge, Lohn- und Honorarabrechnung.",
            "legal_basis": "Art. 6 Abs. 1 lit. b und c DSGVO mit Steuer- und Sozialversicherungsrecht.",
            "people": "Beschäftigte, Minijobber, Honorartrainerinnen und -trainer.",
            "data_categories": "Stammdaten, Steuer- und Sozialversicherungsdaten, Bankverbindung, Arbeitszeiten.",
            "recipients": "Finanzamt, Sozialversicherungsträger, ggf. Lohnbüro (Auftragsverarbeiter).",
            "transfers": "Keine.",
            "retention": "Nach den steuer- und sozialrechtlichen Fristen (in der Regel sechs bis zehn Jahre).",
            "toms": "Personalakten getrennt und nur für den zuständigen Vorstand zugänglich. " + _TOMS,
        },
    ),
)


def suggested(profile: dict) -> list[Activity]:
    """The typical activities for a club with these profile flags (always member administration and fees)."""
    return [a for a in ACTIVITIES if not a.flags or any(profile.get(flag) for flag in a.flags)]


def prefill(club, profile: dict) -> dict:
    """A first record for the club: its contact details and the suggested activities."""
    return {
        "controller": f"{club.name}, {club.contact_email}",
        "representative": "Vorstand nach § 26 BGB",
        "dpo": "",
        "activities": [{"name": a.name, **a.values} for a in suggested(profile)],
    }
