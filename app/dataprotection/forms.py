from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired

from ..core.forms import BaseForm


class CloseClubForm(BaseForm):
    understood = BooleanField(
        _l("Ich habe verstanden: Nach Ablauf der Frist werden alle Daten des Vereins endgültig gelöscht."),
        validators=[DataRequired(_l("Bitte bestätigen Sie, dass Sie die Folgen verstanden haben."))],
    )
    current_password = PasswordField(
        _l("Ihr Passwort zur Bestätigung"),
        validators=[DataRequired(_l("Bitte geben Sie Ihr Passwort ein."))],
        render_kw={"autocomplete": "current-password"},
    )
