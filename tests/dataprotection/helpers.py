"""Walk every table of the app and look for traces of a person or a club."""

import json

import sqlalchemy as sa

from app.dataprotection import registry
from app.extensions import db


def traces(*, table_ref: str, ident: int, needles: tuple[str, ...]) -> list[str]:
    """Rows that reference ``ident`` through a FK to ``table_ref`` or contain one of ``needles`` as text."""
    found = []
    lowered = [n.lower() for n in needles if n]
    for model in registry.mapped_models():
        table = model.__table__
        fk_cols = [c for c in table.columns if any(fk.column.table.name == table_ref for fk in c.foreign_keys)]
        if table.name == table_ref:
            fk_cols = list(table.primary_key.columns)
        for row in db.session.execute(sa.select(table)).mappings():
            for col in fk_cols:
                if row[col.name] == ident:
                    found.append(f"{table.name}.{col.name}={ident}")
            for key, value in row.items():
                if value is None or isinstance(value, (int, float, bool)):
                    continue
                text = (
                    json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)
                ).lower()
                for needle in lowered:
                    if needle in text:
                        found.append(f"{table.name}.{key} contains {needle!r}")
    return found
