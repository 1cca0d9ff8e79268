"""Staff page of the directory: the topic list (/admin/verzeichnis/themen)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..core.tenancy import staff_required
from ..extensions import db
from . import admin_bp
from . import services as svc
from .forms import TopicForm
from .models import DirectoryTopic


def _topics_page(new_form=None, edit_forms=None, status=200):
    topics = svc.topics(active_only=False)
    forms = edit_forms or {}
    for topic in topics:
        if topic.id not in forms:
            forms[topic.id] = TopicForm(formdata=None, obj=topic, prefix=f"t{topic.id}")
    return render_template(
        "directory/admin/topics.html",
        topics=topics,
        forms=forms,
        new_form=new_form or TopicForm(formdata=None, prefix="new"),
    ), status


@admin_bp.get("/themen")
@staff_required
def topics():
    return _topics_page()


def _save(topic, form, on_error):
    if not form.validate():
        return on_error(form)
    try:
        svc.save_topic(
            topic,
            slug=form.slug.data,
            name_de=form.name_de.data,
            name_en=form.name_en.data,
            position=form.position.data,
            active=form.active.data,
            by=current_user,
        )
    except svc.DirectoryError as exc:
        db.session.rollback()
        form.slug.errors = [*form.slug.errors, str(exc)]
        return on_error(form)
    db.session.commit()
    flash(_("Das Thema ist gespeichert."), "success")
    return redirect(url_for("directory_admin.topics"), code=303)


@admin_bp.post("/themen")
@staff_required
def create_topic():
    return _save(None, TopicForm(prefix="new"), lambda form: _topics_page(new_form=form, status=422))


@admin_bp.post("/themen/<int:topic_id>")
@staff_required
def update_topic(topic_id):
    topic = db.session.get(DirectoryTopic, topic_id)
    if topic is None:
        abort(404)
    return _save(
        topic,
        TopicForm(prefix=f"t{topic.id}"),
        lambda form: _topics_page(edit_forms={topic.id: form}, status=422),
    )
