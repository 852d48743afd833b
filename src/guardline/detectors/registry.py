"""Where detectors are found: the built-ins and the entry-point group ``guardline.detectors``.

Built-ins are registered through the same mechanism third parties use: a name mapped to a factory
that takes the detector's policy settings (keyword arguments) and returns a detector.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import Any

from ..errors import ConfigError
from .base import Detector

__all__ = ["BUILTINS", "available", "create", "register"]

Factory = Callable[..., Detector]

# name -> "module:attribute"; imported lazily so an unused detector costs nothing
BUILTINS: dict[str, str] = {
    "pii": "guardline.detectors.pii:PiiDetector",
    "leakage": "guardline.detectors.leakage:LeakageDetector",
    "grounding": "guardline.detectors.grounding:GroundingDetector",
    "brand": "guardline.detectors.brand:BrandDetector",
    "injection": "guardline.detectors.injection:InjectionDetector",
    "compliance": "guardline.detectors.compliance:ComplianceDetector",
}

_registered: dict[str, Factory] = {}
_loaded_entry_points = False


def register(name: str, factory: Factory) -> None:
    """Register a detector factory under ``name`` (tests and embedding applications)."""
    _registered[name] = factory


def _load_entry_points() -> None:
    global _loaded_entry_points
    if _loaded_entry_points:
        return
    _loaded_entry_points = True
    for ep in entry_points(group="guardline.detectors"):
        _registered.setdefault(ep.name, _lazy(ep.value))


def _lazy(target: str) -> Factory:
    def factory(**settings: Any) -> Detector:
        module, _, attr = target.partition(":")
        try:
            obj = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"detector {target!r} cannot be imported: {exc}") from exc
        return obj(**settings)

    return factory


def available() -> list[str]:
    _load_entry_points()
    return sorted(set(BUILTINS) | set(_registered))


def create(name: str, settings: Mapping[str, Any] | None = None) -> Detector:
    """Build detector ``name`` with its policy settings."""
    _load_entry_points()
    factory = _registered.get(name)
    if factory is None:
        target = BUILTINS.get(name)
        if target is None:
            raise ConfigError(f"unknown detector {name!r}; available: {', '.join(available())}")
        factory = _lazy(target)
    try:
        return factory(**dict(settings or {}))
    except TypeError as exc:
        raise ConfigError(f"detector {name!r}: bad settings: {exc}") from exc
