"""Every CSV file the app writes goes through here (spreadsheet formula injection, OWASP).

A spreadsheet program evaluates a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some
programs, a tab or carriage return followed by one of them) as a formula: ``=HYPERLINK(...)`` in a
club name or a checklist note would run in the board's spreadsheet. Following the OWASP advice
(https://owasp.org/www-community/attacks/CSV_Injection), such a text cell gets a leading single
quote, every cell is wrapped in double quotes and double quotes inside are doubled, so a separator
or quote in the value cannot start a new cell. Numbers (int, float, Decimal) are data, not text typed
by someone, and are written as they are.

Use :func:`writer` / :func:`dict_writer` instead of ``csv.writer`` / ``csv.DictWriter``;
``tests/dataprotection/test_csv.py`` fails when app code writes CSV any other way.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

#: Cells starting with one of these are read as a formula by Excel, LibreOffice or Google Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """The cell value as text a spreadsheet shows but never evaluates."""
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


class SafeWriter:
    """Like ``csv.writer``, with every cell neutralised and quoted."""

    def __init__(self, out, **kwargs):
        kwargs.setdefault("quoting", csv.QUOTE_ALL)
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow([neutralise(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter:
    """Like ``csv.DictWriter``, with every cell (header included) neutralised and quoted."""

    def __init__(self, out, fieldnames, **kwargs):
        self.fieldnames = list(fieldnames)
        self._writer = SafeWriter(out, **kwargs)

    def writeheader(self):
        return self._writer.writerow(self.fieldnames)

    def writerow(self, row: Mapping[str, Any]):
        return self._writer.writerow([row.get(name) for name in self.fieldnames])

    def writerows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out, **kwargs) -> SafeWriter:
    return SafeWriter(out, **kwargs)


def dict_writer(out, fieldnames, **kwargs) -> SafeDictWriter:
    return SafeDictWriter(out, fieldnames, **kwargs)
