"""Clients for external services (BigBlueButton, Mattermost) and their local stand-ins."""
