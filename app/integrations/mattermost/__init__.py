"""Mattermost REST API v4: our small client and a local stand-in server."""

from .client import MattermostClient, MattermostError, client_from_config

__all__ = ["MattermostClient", "MattermostError", "client_from_config"]
