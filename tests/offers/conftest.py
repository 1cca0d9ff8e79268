# The Mattermost stand-in (checked against the OpenAPI file) and the fake DNS of the chat tests.
from tests.chat.conftest import fake_dns, mm, openapi  # noqa: F401
