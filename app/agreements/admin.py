"""Staff: which clubs accepted which version of the processing agreement."""

from __future__ import annotations

from flask import render_template, request

from ..core.tenancy import staff_required
from . import admin_bp, services


@admin_bp.get("/")
@staff_required
def index():
    raw = request.args.get("seite", "1")
    page = int(raw) if raw.isdigit() and len(raw) < 7 else 1
    return render_template(
        "agreements/admin.html",
        overview=services.overview(page),
        missing=services.missing_settings(),
    )
