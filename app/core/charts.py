"""Server-rendered SVG bar charts (no chart library, no script).

Each chart is a dict the template macro ``admin/_macros.html:bar_chart`` draws: an ``<svg role="img">``
with ``<title>``/``<desc>`` plus a table with the same numbers, so screen readers and print get the data,
not just the picture. Used by the staff statistics and the public club directory.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

WIDTH = 640
LABEL_WIDTH = 230
BAR_AREA = 330
ROW = 28
BAR = 18


def bar_chart(chart_id: str, title, description, items, *, max_value=None, unit: str = "", value_label=None):
    """items: (label, value) pairs; value None is drawn as 'keine Daten'."""
    values = [v for _, v in items if v is not None]
    top = max_value if max_value is not None else max(values, default=0)
    bars = []
    for i, (label, value) in enumerate(items):
        width = 0 if not top or value is None else max(1, round(BAR_AREA * value / top)) if value else 0
        bars.append(
            {
                "label": str(label),
                "value": value,
                "y": i * ROW + 4,
                "width": width,
                "text_x": LABEL_WIDTH + width + 6,
                "text_y": i * ROW + 4 + BAR - 4,
            }
        )
    return {
        "id": chart_id,
        "title": str(title),
        "description": str(description),
        "bars": bars,
        "width": WIDTH,
        "height": max(ROW, len(items) * ROW + 8),
        "label_width": LABEL_WIDTH,
        "bar_height": BAR,
        "unit": unit,
        "value_label": str(value_label or _l("Anzahl")),
    }
