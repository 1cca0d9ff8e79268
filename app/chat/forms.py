from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..core.forms import BaseForm


class LinkForm(BaseForm):
    channel_url = StringField(
        _l("Adresse des Kanals"),
        validators=[InputRequired(_l("Bitte fügen Sie die Adresse des Kanals ein.")), Length(max=500)],
        description=_l(
            "Öffnen Sie den Kanal im Browser und kopieren Sie die Adresse, "
            "z. B. https://chat.example.org/team/channels/kanalname."
        ),
    )
    webhook_url = StringField(
        _l("Webhook-Adresse für Hinweise (optional)"),
        validators=[Optional(), Length(max=500)],
        description=_l(
            "Nur nötig, wenn der Bot der Plattform nicht in Ihrem Kanal ist: eine „eingehende "
            "Webhook“-Adresse aus Mattermost (…/hooks/…). Behandeln Sie sie wie ein Passwort."
        ),
    )


class OptionsForm(BaseForm):
    notices = BooleanField(_l("Hinweis im Chat, wenn eine Videokonferenz beginnt"))
    board_only = BooleanField(_l("Nur der Vorstand ist im Kanal (sonst alle Mitglieder)"))


class CommunityJoinForm(BaseForm):
    accept = BooleanField(
        _l("Ich habe die Verhaltensregeln gelesen und halte mich daran."),
        validators=[DataRequired(_l("Bitte bestätigen Sie, dass Sie die Verhaltensregeln einhalten."))],
    )


class CommunityRemoveForm(BaseForm):
    reason = TextAreaField(
        _l("Grund"),
        validators=[InputRequired(_l("Bitte geben Sie einen Grund an.")), Length(max=500)],
        description=_l("Steht im Protokoll. Sachlich und kurz, ohne weitere Daten über die Person."),
    )
