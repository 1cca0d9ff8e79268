"""Every model with a reference to a person or a club must be declared in the registry."""

from app.dataprotection import registry


def test_every_model_with_user_or_club_reference_is_declared(app):
    missing = [f"{m.__module__}.{m.__name__} ({m.__tablename__})" for m in registry.undeclared_models()]
    assert not missing, (
        "Models with a FK to user/club but no data-protection policy – declare them in "
        "app/dataprotection/declarations.py (how they are exported and deleted):\n  " + "\n  ".join(missing)
    )


def test_walk_finds_the_foundation_models(app):
    names = {m.__tablename__ for m in registry.models_with_personal_refs()}
    assert {
        "user",
        "club",
        "membership",
        "invitation",
        "audit_entry",
        "club_status_change",
        "data_export",
        "club_deletion",
    } <= names


def test_kept_rows_have_nullable_references(app):
    """Content that stays after a deletion loses its reference: the FK column must be nullable."""
    for model, policy in registry.PERSONAL_DATA.items():
        if policy.on_user_delete in ("pseudonymise", "keep-with-club"):
            for col in registry.user_columns(model):
                assert col.nullable, f"{model.__tablename__}.{col.name} must be nullable"
        if policy.on_club_delete in ("pseudonymise", "keep"):
            for col in registry.club_columns(model):
                assert col.nullable, f"{model.__tablename__}.{col.name} must be nullable"


def test_policies_use_known_categories(app):
    from app.dataprotection.retention import CATEGORIES

    unknown = {p.category for p in registry.PERSONAL_DATA.values()} - set(CATEGORIES)
    assert not unknown


def test_secret_columns_are_never_exported_by_name_pattern(roles):
    """A token column is left out of every export by its name, even without an ``exclude`` entry
    (a new ``session_token`` on the user must not reach "Meine Daten")."""
    from app.meetings.models import Room

    room = Room(club_id=roles.club.id, name="Vorstand", guest_token="geheim-123", access_code="4711")
    row = registry.row_dict(room)  # no policy: only the name pattern protects
    assert "guest_token" not in row and "geheim-123" not in row.values()
    assert row["name"] == "Vorstand"
    for key in ("session_token", "token", "webhook_secret", "password_hash", "api_key"):
        assert registry.is_secret_column(key), key
    assert not registry.is_secret_column("tokens_used_by") and not registry.is_secret_column("item_hash")
