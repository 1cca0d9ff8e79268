"""Server-rendered SVG bar charts (no chart library, no script).

Each chart is a dict the template macro ``admin/_macros.html:bar_chart`` draws: an ``<svg role="img">``
with ``<title>``/``<desc>`` plus a table with the same numbers, so screen readers and print get the data,
not just the picture. Every chart has the same width and row height, so all are drawn at one scale; a
chart without data shows an empty state instead. Used by the staff statistics and the public club directory.
"""

from __future__ import annotations

import textwrap

from flask_babel import lazy_gettext as _l

WIDTH = 640
LABEL_WIDTH = 230
BAR_AREA = 330
ROW = 28
BAR = 18
#: Labels are 13px (app.css .chart-label); at most this many characters per line keep a line inside the
#: label column (about 7.5px per character, wide letters included), so no label is cut off at the left.
LABEL_CHARS = 27
LABEL_LINE = 15  # px between label lines


def label_lines(label: str, limit: int = LABEL_CHARS) -> list[str]:
    """The label broken into lines that fit the label column (at word boundaries, long words split)."""
    return textwrap.wrap(label, width=limit, break_long_words=True, break_on_hyphens=True) or [""]


def bar_chart(chart_id: str, title, description, items, *, max_value=None, unit: str = "", value_label=None):
    """items: (label, value) pairs; value None is drawn as 'keine Daten'. Long labels wrap onto more lines
    (the row grows), they are never cut."""
    values = [v for _, v in items if v is not None]
    top = max_value if max_value is not None else max(values, default=0)
    bars = []
    y = 4
    for label, value in items:
        width = 0 if not top or value is None else max(1, round(BAR_AREA * value / top)) if value else 0
        lines = label_lines(str(label))
        row = max(ROW, len(lines) * LABEL_LINE + 10)
        bar_y = y + (row - ROW) / 2
        bars.append(
            {
                "label": str(label),
                "lines": lines,
                "value": value,
                "y": bar_y,
                "width": width,
                "text_x": LABEL_WIDTH + width + 6,
                "text_y": bar_y + BAR - 4,
                # first label line, so that the block of lines is centred on the bar
                "label_y": bar_y + BAR - 4 - (len(lines) - 1) * LABEL_LINE / 2,
            }
        )
        y += row
    return {
        "id": chart_id,
        "title": str(title),
        "description": str(description),
        # Nothing to draw (no rows, or every value 0 or unknown): the page says so instead of a column of labels.
        "empty": not any(values),
        "bars": bars,
        "width": WIDTH,
        "height": max(ROW, y + 4),
        "label_line": LABEL_LINE,
        "label_width": LABEL_WIDTH,
        "bar_height": BAR,
        "unit": unit,
        "value_label": str(value_label or _l("Anzahl")),
    }
