"""Live monitoring: rolling windows in the state store, alert rules (threshold, burn rate, CUSUM),
notifications, and the Guard sink that feeds them."""

from .alerts import Alert, AlertBook
from .config import AlertRule, MonitorConfig, Monitoring, load_monitoring, parse_monitoring
from .engine import Monitor
from .notify import LogNotifier, Notification, WebhookHandoff, WebhookNotifier
from .sink import MonitorSink
from .windows import Series, Windows

__all__ = ["Alert", "AlertBook", "AlertRule", "LogNotifier", "Monitor", "MonitorConfig", "MonitorSink",
           "Monitoring", "Notification", "Series", "WebhookHandoff", "WebhookNotifier", "Windows",
           "load_monitoring", "parse_monitoring"]
