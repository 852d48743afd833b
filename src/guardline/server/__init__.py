"""The HTTP gateway: ``/v1/check``, the OpenAI-compatible proxy, provider webhooks and the send relay,
customers, the audit trail, health and metrics. Build it with ``create_app``."""

from ..config import ServerSettings, load_server_settings
from .app import app_from_env, create_app
from .keystore import KeyStore, Principal
from .metrics import MetricsSink

__all__ = ["KeyStore", "MetricsSink", "Principal", "ServerSettings", "app_from_env", "create_app",
           "load_server_settings"]
