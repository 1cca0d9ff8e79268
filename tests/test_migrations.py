"""The schema exists only through Alembic: models and migrations must agree."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from app.extensions import db


def test_models_and_migrations_agree(app):
    # The test database was built by `flask db upgrade heads` (see conftest).
    with db.engine.connect() as conn:
        unmanaged = tuple(db.metadata.info.get("unmanaged_table_prefixes", ()))  # e.g. full-text search tables

        def include_object(obj, name, type_, reflected, compare_to):
            if unmanaged and reflected and compare_to is None and type_ == "table" and name.startswith(unmanaged):
                return False
            # an index the model declares for one database only (``Index(...).ddl_if(dialect=...)``)
            only_on = getattr(getattr(obj, "_ddl_if", None), "dialect", None)
            return reflected or only_on in (None, conn.dialect.name)

        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "render_as_batch": True, "include_object": include_object}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"Models differ from migrations; run `flask db migrate`: {diff}"


def test_migrations_have_a_single_head(app):
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    assert len(script.get_heads()) == 1, "Several Alembic heads: add a merge migration"
