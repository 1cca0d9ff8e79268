import pytest


@pytest.fixture
def app_config(app_config, tmp_path):
    """Exports go to a temporary folder, not instance/exports."""
    app_config["DATA_EXPORT_DIR"] = str(tmp_path / "exports")
    return app_config
