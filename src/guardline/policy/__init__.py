"""Policies: schema, loader (``extends:``, validation naming file/line/field), engine."""

from .engine import decide
from .loader import load_policy
from .schema import ActionRule, DetectorConfig, Policy

__all__ = ["ActionRule", "DetectorConfig", "Policy", "decide", "load_policy"]
