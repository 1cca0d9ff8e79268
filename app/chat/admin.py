"""Staff view of the chat sync: open and failed changes, with a retry button (/admin/chat); the community
channel's members, with removal (audited, with a reason) and lifting a removal (/admin/chat/community)."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.models import User
from ..core.forms import EmptyForm
from ..core.tenancy import staff_required
from ..extensions import db
from . import admin_bp, community, queue, services
from .forms import CommunityRemoveForm
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


def _community_page(remove_form=None, failed_user_id=None, status=200):
    return render_template(
        "chat/community_admin.html",
        people=community.people(),
        remove_form=remove_form or CommunityRemoveForm(formdata=None),
        failed_user_id=failed_user_id,
        form=EmptyForm(),
        channel=community.channel(),
    ), status


@admin_bp.get("/community")
@staff_required
def community_members():
    return _community_page()


def _person(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or community.member(user) is None:
        abort(404)
    return user


@admin_bp.post("/community/<int:user_id>/entfernen")
@staff_required
def community_remove(user_id):
    user = _person(user_id)
    form = CommunityRemoveForm()
    if not form.validate_on_submit():
        return _community_page(form, user_id, 422)
    try:
        community.staff_remove(user, reason=form.reason.data, by=current_user)
    except community.CommunityError as exc:
        form.reason.errors = [*form.reason.errors, str(exc)]
        return _community_page(form, user_id, 422)
    flash(_("%(name)s wird aus dem Community-Kanal entfernt.", name=user.name), "success")
    return redirect(url_for("chat_admin.community_members"), code=303)


@admin_bp.post("/community/<int:user_id>/freigeben")
@staff_required
def community_allow(user_id):
    user = _person(user_id)
    if EmptyForm().validate_on_submit():
        community.staff_allow(user, by=current_user)
        flash(_("%(name)s kann dem Community-Kanal wieder beitreten.", name=user.name), "success")
    return redirect(url_for("chat_admin.community_members"), code=303)
