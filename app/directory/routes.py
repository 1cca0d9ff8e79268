"""The public directory (/vereine/verzeichnis), "Kontakt aufnehmen", and the board's listing settings."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..clubs.models import DISTRICTS
from ..core.charts import bar_chart
from ..core.errors import fail
from ..core.htmx import is_htmx, render_page
from ..core.ratelimit import email_in_form, relay_limits, view_arg
from ..core.tenancy import club_access
from ..extensions import db
from . import bp, club_bp
from . import services as svc
from .forms import HONEYPOT, ContactForm, ListingForm


def nearby_section(**_kwargs) -> str:
    """ "Vereine in Ihrer Nähe" on the workspace home (template hook "workspace-home"); one query."""
    club = g.get("club")
    if club is None or not club.is_readable:
        return ""
    return render_template(
        "directory/partials/_nearby.html",
        suggestions=svc.nearby_cached(club),
        is_board=bool(g.get("membership") and g.membership.is_board),
    )


# --- public ----------------------------------------------------------------------------------------


def _filters():
    """The filters from the query string; an unknown district or topic is a 400 (German message)."""
    q = (request.args.get("q") or "").strip()
    if len(q) > 100:
        fail(400, _("Der Suchbegriff darf höchstens 100 Zeichen lang sein."))
    district = request.args.get("bezirk") or None
    if district is not None and district not in DISTRICTS:
        fail(400, _("Diesen Bezirk gibt es nicht. Bitte wählen Sie einen Bezirk aus der Liste."))
    topic = None
    if request.args.get("thema"):
        topic = svc.topic_by_slug(request.args["thema"])
        if topic is None or not topic.active:
            fail(400, _("Dieses Thema gibt es nicht. Bitte wählen Sie ein Thema aus der Liste."))
    return q, district, topic


@bp.get("/vereine/verzeichnis")
def index():
    q, district, topic = _filters()
    counts = svc.district_counts()
    chart = bar_chart(
        "chart-directory-districts",
        _("Eingetragene Vereine je Bezirk"),
        _(
            "Anzahl der Vereine im Verzeichnis je Berliner Bezirk: %(parts)s.",
            parts=", ".join(f"{name}: {count}" for name, count in counts),
        ),
        counts,
        value_label=_("Vereine"),
    )
    return render_page(
        "directory/index.html",
        "directory/partials/_results.html",
        listings=svc.search(q=q, district=district, topic=topic),
        q=q,
        district=district,
        topic=topic,
        districts=DISTRICTS,
        topics=svc.topics(),
        chart=chart,
        oob=is_htmx(),
        locale=svc.locale_code(),
    )


def _listing_or_404(slug: str):
    listing = svc.public_listing(slug)
    if listing is None:
        abort(404)
    return listing


def _listing_page(listing, form, status=200):
    return render_template(
        "directory/listing.html",
        listing=listing,
        fields=svc.public_fields(
            listing.club, summary=listing.summary, topics_chosen=listing.topics, show_website=listing.show_website
        ),
        form=form,
        honeypot=HONEYPOT,
    ), status


@bp.get("/vereine/verzeichnis/<slug>")
def listing(slug):
    return _listing_page(_listing_or_404(slug), ContactForm(formdata=None))


@bp.post("/vereine/verzeichnis/<slug>/kontakt")
@relay_limits(
    per_client="DIRECTORY_CONTACT_RATE_LIMIT",
    per_sender="DIRECTORY_CONTACT_SENDER_RATE_LIMIT",
    per_target="DIRECTORY_CONTACT_CLUB_RATE_LIMIT",
    sender=email_in_form("email"),
    target=view_arg("slug"),
)
def contact(slug):
    listing = _listing_or_404(slug)
    form = ContactForm()
    if form.homepage.data:  # the honeypot: people never see it, bots fill it in
        fail(400, _("Die Nachricht konnte nicht gesendet werden. Bitte lassen Sie das Feld „Bitte leer lassen“ leer."))
    if not form.validate():
        return _listing_page(listing, form, status=422)
    svc.submit_contact(listing, name=form.name.data, email=form.email.data, body=form.message.data)
    db.session.commit()
    flash(
        _(
            "Danke! Ihre Nachricht wird an %(name)s weitergeleitet. Die Antwort kommt direkt an Ihre E-Mail-Adresse.",
            name=listing.club.name,
        ),
        "success",
    )
    return redirect(url_for("directory.listing", slug=slug), code=303)


# --- the board's listing settings --------------------------------------------------------------------


def _listing_form(listing, formdata=None):
    form = ListingForm(formdata=formdata, obj=listing) if formdata is not None else ListingForm(obj=listing)
    locale = svc.locale_code()
    form.topics.choices = [(t.id, t.name(locale)) for t in svc.topics()]
    if formdata is None and listing is not None:
        form.topics.data = [t.id for t in listing.topics]
    return form


def _settings_page(form, listing, *, preview, status=200, confirm=False):
    return render_template(
        "directory/settings.html",
        form=form,
        listing=listing,
        preview=preview,
        confirm=confirm,
    ), status


def _preview(form):
    chosen = [t for t in svc.topics() if t.id in set(form.topics.data or ())]
    return svc.public_fields(
        g.club, summary=(form.summary.data or "").strip(), topics_chosen=chosen, show_website=form.show_website.data
    )


@club_bp.route("/", methods=["GET", "POST"])
@club_access("board")
def settings():
    listing = svc.listing_of(g.club)
    if request.method == "GET":
        form = _listing_form(listing, formdata=None)
        if listing is None:
            form.listed.data = False
            form.show_website.data = True
        return _settings_page(form, listing, preview=_preview(form))
    form = _listing_form(listing, formdata=request.form)
    if not form.validate():
        return _settings_page(form, listing, preview=None, status=422)
    switching_on = form.listed.data and not (listing and listing.listed)
    if request.form.get("action") == "preview" or (switching_on and request.form.get("confirmed") != "1"):
        # Switching the listing on: first show exactly what becomes public, then publish on confirmation.
        return _settings_page(form, listing, preview=_preview(form), confirm=switching_on)
    try:
        svc.save_listing(
            g.club,
            listed=form.listed.data,
            summary=form.summary.data,
            show_website=form.show_website.data,
            topic_ids=list(form.topics.data or ()),
            by=current_user,
        )
    except svc.DirectoryError as exc:
        db.session.rollback()
        form.summary.errors = [*form.summary.errors, str(exc)]
        return _settings_page(form, listing, preview=None, status=422)
    db.session.commit()
    if form.listed.data:
        flash(_("Der Verzeichniseintrag ist gespeichert und öffentlich."), "success")
    else:
        flash(_("Gespeichert. Ihr Verein steht nicht im öffentlichen Verzeichnis."), "success")
    return redirect(url_for("directory_club.settings"), code=303)
