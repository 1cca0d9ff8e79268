"""BigBlueButton: our own small API client (``client``) and a stand-in server (``standin``)."""

from .client import BBBClient, BBBError, checksum, client_from_config

__all__ = ["BBBClient", "BBBError", "checksum", "client_from_config"]
