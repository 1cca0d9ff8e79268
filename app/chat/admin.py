"""Staff view of the chat sync: open and failed changes, with a retry button (/admin/chat)."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..core.forms import EmptyForm
from ..core.tenancy import staff_required
from . import admin_bp, queue, services
from .models import OP_LABELS

#: Readable names of the kinds of pending changes (ChatOp.kind) for the staff list: one table, in the model.
OP_KIND_LABELS = OP_LABELS


@admin_bp.get("/")
@staff_required
def index():
    return render_template(
        "chat/admin.html", overview=services.staff_overview(), form=EmptyForm(), kind_labels=OP_KIND_LABELS
    )


@admin_bp.post("/erneut")
@staff_required
def retry():
    if EmptyForm().validate_on_submit():
        count = queue.retry_now(by=current_user)
        flash(_("%(count)s Änderungen werden noch einmal gesendet.", count=count), "success")
    return redirect(url_for("chat_admin.index"), code=303)
