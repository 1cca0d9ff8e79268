"""Forms of the toolkit. Every text is plain text: HTML is refused with a German message (422)."""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..auth.forms import strip_text
from ..core.forms import BaseForm, no_nul, single_line
from ..core.text import looks_like_html
from .models import CHANNELS, REQUEST_KINDS
from .record import FIELD_KEYS, FIELDS, MAX_ACTIVITIES


def no_html(form, field):
    """Plain text only: something that looks like an HTML tag is refused, not silently changed."""
    if isinstance(field.data, str) and looks_like_html(field.data):
        raise ValidationError(_l("Bitte geben Sie keinen HTML-Code ein (Zeichen wie „<b>“ oder „<script>“)."))


def _kinds():
    return [SelectChoice(kind.value, f"{label} ({article})") for kind, (label, article) in REQUEST_KINDS.items()]


def _channels():
    return [SelectChoice(channel.value, label) for channel, label in CHANNELS.items()]


class RequestForm(BaseForm):
    kind = SelectField(
        _l("Art der Anfrage"),
        choices=_kinds,
        description=_l(
            "Was heißt das? Welches Recht die Person geltend macht: Auskunft über ihre Daten, Berichtigung, "
            "Löschung, Einschränkung, eine Kopie zur Mitnahme (Übertragbarkeit) oder Widerspruch, z. B. gegen "
            "Fotos auf der Website."
        ),
        validators=[InputRequired(_l("Bitte wählen Sie die Art der Anfrage."))],
    )
    received_on = DateField(
        _l("Eingegangen am"),
        description=_l(
            "Was heißt das? Der Tag, an dem die Anfrage beim Verein ankam. Ab diesem Tag läuft die Frist von "
            "einem Monat (Art. 12 Abs. 3 DSGVO)."
        ),
        validators=[InputRequired(_l("Bitte geben Sie das Eingangsdatum an."))],
    )
    channel = SelectField(
        _l("Wie kam die Anfrage?"),
        choices=_channels,
        description=_l("Was heißt das? Eine Anfrage braucht keine Form: auch ein Anruf oder ein Gespräch zählt."),
        validators=[InputRequired(_l("Bitte wählen Sie, wie die Anfrage kam."))],
    )
    note = TextAreaField(
        _l("Notiz (optional)"),
        filters=[strip_text],
        description=_l(
            "Was heißt das? Nur so viel, wie Sie zum Bearbeiten brauchen, z. B. „Mitglied, Abteilung Schwimmen“. "
            "Keine Adressen, Geburtsdaten oder Gesundheitsangaben – die Anfrage selbst bewahren Sie dort auf, "
            "wo Sie auch sonst die Mitgliederdaten führen."
        ),
        validators=[
            Optional(),
            Length(max=500, message=_l("Die Notiz darf höchstens 500 Zeichen lang sein.")),
            no_html,
        ],
    )


class ExtendForm(BaseForm):
    months = SelectField(
        _l("Verlängern um"),
        coerce=int,
        choices=lambda: [SelectChoice(1, _l("einen Monat")), SelectChoice(2, _l("zwei Monate"))],
        validators=[InputRequired(_l("Bitte wählen Sie, um wie viele Monate die Frist verlängert wird."))],
    )
    reason = TextAreaField(
        _l("Begründung"),
        filters=[strip_text],
        description=_l(
            "Was heißt das? Eine Verlängerung ist nur bei komplexen oder sehr vielen Anfragen erlaubt. Teilen Sie "
            "der Person die Gründe noch innerhalb der ersten Frist mit (Art. 12 Abs. 3 DSGVO)."
        ),
        validators=[
            DataRequired(_l("Bitte begründen Sie die Verlängerung.")),
            Length(min=10, max=1000, message=_l("Die Begründung muss 10 bis 1000 Zeichen lang sein.")),
            no_html,
        ],
    )


class CloseForm(BaseForm):
    closed_on = DateField(
        _l("Erledigt am"), validators=[InputRequired(_l("Bitte geben Sie an, wann die Anfrage erledigt wurde."))]
    )
    outcome = TextAreaField(
        _l("Was wurde getan?"),
        filters=[strip_text],
        description=_l(
            "Was heißt das? Zum Beispiel „Auskunft mit Kopie per Brief verschickt“ oder „Daten gelöscht, "
            "Buchungsbelege wegen § 147 AO gesperrt“. So können Sie später nachweisen, dass Sie geantwortet haben."
        ),
        validators=[
            DataRequired(_l("Bitte beschreiben Sie kurz, was getan wurde.")),
            Length(max=1000, message=_l("Höchstens 1000 Zeichen.")),
            no_html,
        ],
    )


def _risk_choices():
    return [SelectChoice("yes", _l("ja")), SelectChoice("unsure", _l("weiß nicht")), SelectChoice("no", _l("nein"))]


class BreachForm(BaseForm):
    """ "Datenpanne melden": the facts and the short guided risk assessment."""

    discovered_at = DateTimeLocalField(
        _l("Wann hat der Verein davon erfahren?"),
        format="%Y-%m-%dT%H:%M",
        description=_l(
            "Was heißt das? Ab diesem Zeitpunkt laufen die 72 Stunden für die Meldung an die Aufsichtsbehörde "
            "(Art. 33 Abs. 1 DSGVO) – nicht ab dem Zeitpunkt der Panne selbst. Berliner Zeit."
        ),
        validators=[InputRequired(_l("Bitte geben Sie Datum und Uhrzeit an."))],
    )
    facts = TextAreaField(
        _l("Was ist passiert?"),
        filters=[strip_text],
        description=_l(
            "Was heißt das? Kurz und sachlich, z. B. „Rundmail an 80 Mitglieder mit offenem Verteiler“ oder "
            "„Laptop des Kassenwarts mit der Mitgliederliste gestohlen“."
        ),
        validators=[
            DataRequired(_l("Bitte beschreiben Sie, was passiert ist.")),
            Length(max=2000, message=_l("Höchstens 2000 Zeichen.")),
            no_html,
        ],
    )
    data_kinds = TextAreaField(
        _l("Welche Daten sind betroffen?"),
        filters=[strip_text],
        description=_l("Was heißt das? Die Arten von Daten, z. B. Namen, E-Mail-Adressen, Bankverbindungen."),
        validators=[
            DataRequired(_l("Bitte geben Sie an, welche Daten betroffen sind.")),
            Length(max=1000, message=_l("Höchstens 1000 Zeichen.")),
            no_html,
        ],
    )
    affected_count = IntegerField(
        _l("Wie viele Personen sind ungefähr betroffen?"),
        description=_l("Was heißt das? Eine Schätzung genügt."),
        validators=[
            InputRequired(_l("Bitte schätzen Sie, wie viele Personen betroffen sind.")),
            NumberRange(min=1, max=10_000_000, message=_l("Bitte geben Sie eine Zahl ab 1 an.")),
        ],
    )
    sensitive = BooleanField(
        _l("Besonders schützenswerte Daten sind dabei"),
        description=_l(
            "Was heißt das? Gesundheitsdaten, Religion, politische Meinung, Angaben zu Straftaten oder "
            "Führungszeugnissen, Bankverbindungen, Passwörter oder Daten von Kindern."
        ),
    )
    risk = RadioField(
        _l("Kann den Betroffenen dadurch ein Nachteil entstehen?"),
        choices=_risk_choices,
        description=_l(
            "Was heißt das? Zum Beispiel unerwünschte Werbung, Betrugsversuche, Bloßstellung oder Ärger mit "
            "anderen. „Nein“ nur, wenn ein Nachteil unwahrscheinlich ist, etwa weil die Daten verschlüsselt waren "
            "oder der falsche Empfänger sie nachweislich gelöscht hat."
        ),
        validators=[InputRequired(_l("Bitte beantworten Sie die Frage nach einem möglichen Nachteil."))],
    )
    high_risk = RadioField(
        _l("Könnte der Nachteil schwer wiegen?"),
        choices=_risk_choices,
        description=_l(
            "Was heißt das? Zum Beispiel Geldverlust, Identitätsdiebstahl, Diskriminierung oder die Offenlegung "
            "von Gesundheitsdaten. Dann müssen auch die Betroffenen selbst informiert werden (Art. 34 DSGVO)."
        ),
        validators=[InputRequired(_l("Bitte beantworten Sie die Frage nach einem schweren Nachteil."))],
    )
    effects = TextAreaField(
        _l("Mögliche Folgen (optional)"),
        filters=[strip_text],
        validators=[Optional(), Length(max=2000, message=_l("Höchstens 2000 Zeichen.")), no_html],
    )
    remedies = TextAreaField(
        _l("Was wurde schon getan? (optional)"),
        filters=[strip_text],
        description=_l("Was heißt das? Z. B. „Empfänger gebeten, die Mail zu löschen“, „Passwörter geändert“."),
        validators=[Optional(), Length(max=2000, message=_l("Höchstens 2000 Zeichen.")), no_html],
    )


class CloseBreachForm(BaseForm):
    effects = TextAreaField(
        _l("Folgen"),
        filters=[strip_text],
        validators=[Optional(), Length(max=2000, message=_l("Höchstens 2000 Zeichen.")), no_html],
    )
    remedies = TextAreaField(
        _l("Ergriffene Maßnahmen"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Bitte beschreiben Sie die ergriffenen Maßnahmen.")),
            Length(max=2000, message=_l("Höchstens 2000 Zeichen.")),
            no_html,
        ],
    )
    not_notified_reason = TextAreaField(
        _l("Warum wurde nicht (oder nicht fristgerecht) gemeldet?"),
        filters=[strip_text],
        description=_l(
            "Was heißt das? Auch eine Panne, die nicht gemeldet wird, muss mit Begründung dokumentiert werden "
            "(Art. 33 Abs. 5 DSGVO). Bei einer Meldung nach mehr als 72 Stunden nennen Sie die Gründe für die "
            "Verzögerung."
        ),
        validators=[Optional(), Length(max=2000, message=_l("Höchstens 2000 Zeichen.")), no_html],
    )


# --- record of processing activities -------------------------------------------------------------------------


def _record_text(label, description=None, max_length=2000):
    return TextAreaField(
        label,
        filters=[strip_text],
        description=description,
        validators=[
            Optional(),
            Length(max=max_length, message=_l("Höchstens %(max)d Zeichen.", max=max_length)),
            no_nul,
            no_html,
        ],
    )


class ActivityForm(Form):
    """One processing activity (a row of the record). An activity without a name is left out."""

    name = StringField(
        _l("Bezeichnung der Tätigkeit"),
        filters=[strip_text],
        validators=[Optional(), Length(max=200, message=_l("Höchstens 200 Zeichen.")), single_line, no_html],
    )

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if not self.name.data:
            if any(getattr(self, key).data for key in FIELD_KEYS):
                self.name.errors = [*self.name.errors, _l("Bitte geben Sie der Tätigkeit einen Namen.")]
                return False
            return ok
        for key in ("purpose", "data_categories"):
            field = getattr(self, key)
            if not field.data:
                field.errors = [*field.errors, _l("Bitte füllen Sie „%(field)s“ aus.", field=field.label.text)]
                ok = False
        return ok


for _key, _label, _hint in FIELDS:
    setattr(ActivityForm, _key, _record_text(_label, _l("Was heißt das? %(hint)s", hint=_hint)))


class RecordForm(BaseForm):
    controller = TextAreaField(
        _l("Verantwortlicher"),
        filters=[strip_text],
        description=_l("Was heißt das? Der Verein mit Anschrift und Kontakt (Art. 30 Abs. 1 lit. a DSGVO)."),
        validators=[
            DataRequired(_l("Bitte geben Sie den Verein mit Kontaktdaten an.")),
            Length(max=1000, message=_l("Höchstens 1000 Zeichen.")),
            no_html,
        ],
    )
    representative = StringField(
        _l("Vertreten durch"),
        filters=[strip_text],
        description=_l("Was heißt das? Wer den Verein vertritt, in der Regel der Vorstand nach § 26 BGB."),
        validators=[Optional(), Length(max=300, message=_l("Höchstens 300 Zeichen.")), no_html],
    )
    dpo = StringField(
        _l("Datenschutzbeauftragte Person (falls benannt)"),
        filters=[strip_text],
        description=_l("Was heißt das? Name und Kontakt, wenn der Verein eine benannt hat; sonst leer lassen."),
        validators=[Optional(), Length(max=300, message=_l("Höchstens 300 Zeichen.")), no_html],
    )
    activities = FieldList(FormField(ActivityForm), min_entries=1, max_entries=MAX_ACTIVITIES)

    def validate_activities(self, field):
        # FieldList silently drops entries beyond max_entries: refuse them instead (nothing is lost unseen)
        sent = {key.split("-")[1] for key in request.form if key.startswith("activities-")}
        if len(sent) > MAX_ACTIVITIES:
            raise ValidationError(_l("Das Verzeichnis kann höchstens %(n)d Tätigkeiten enthalten.", n=MAX_ACTIVITIES))
        if not any(entry.form.name.data for entry in field.entries):
            raise ValidationError(_l("Das Verzeichnis braucht mindestens eine Tätigkeit."))

    def content(self) -> dict:
        return {
            "controller": self.controller.data,
            "representative": self.representative.data or "",
            "dpo": self.dpo.data or "",
            "activities": [
                {"name": entry.form.name.data, **{key: getattr(entry.form, key).data or "" for key in FIELD_KEYS}}
                for entry in self.activities.entries
                if entry.form.name.data
            ],
        }


class ShareForm(BaseForm):
    shared = BooleanField(_l("Alle Mitglieder dürfen das Verzeichnis lesen"))


class NoticeForm(BaseForm):
    text = TextAreaField(
        _l("Text des Hinweises"),
        description=_l(
            "Was heißt das? Der Vorschlag ist aus Ihrem Verzeichnis erzeugt. Prüfen und ergänzen Sie ihn, bevor Sie "
            "ihn verwenden, z. B. Stellen in eckigen Klammern. Reiner Text, kein HTML."
        ),
        validators=[
            DataRequired(_l("Bitte geben Sie den Text des Hinweises ein.")),
            Length(max=20000, message=_l("Höchstens 20000 Zeichen.")),
            no_html,
        ],
    )
