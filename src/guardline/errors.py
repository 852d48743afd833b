"""Guardline's exceptions.

The whole tree::

    GuardlineError
    ├── ConfigError          bad configuration: environment, files, CLI flags
    │   └── PolicyError      a policy file that does not load or validate (names file, line, field)
    ├── InvalidInput         a message, a JSON line, a request body a client sent is malformed
    ├── StoreError           a storage backend (SQLite, PostgreSQL, Redis) failed or is unreachable
    ├── IntegrityError       the audit trail does not verify (edited, deleted, reordered, truncated)
    └── DetectorError        a detector raised or overran its budget (turned into a finding, never raised
                             out of the pipeline)

Foreign exceptions are translated once, at the boundary where they enter Guardline
(``raise StoreError(...) from exc``). Messages never contain raw PII or secrets.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DetectorError",
    "GuardlineError",
    "IntegrityError",
    "InvalidInput",
    "PolicyError",
    "StoreError",
]


class GuardlineError(Exception):
    """Base class of every error Guardline raises on purpose."""


class ConfigError(GuardlineError):
    """Configuration is missing or wrong."""


class PolicyError(ConfigError):
    """A policy does not load or validate.

    ``source`` is the file (or ``<dict>``), ``line`` the 1-based line when known, ``field`` the dotted
    path of the offending field.
    """

    def __init__(self, message: str, *, source: str = "<policy>", line: int | None = None,
                 field: str | None = None) -> None:
        self.source = source
        self.line = line
        self.field = field
        where = source if line is None else f"{source}:{line}"
        prefix = f"{where}: {field}: " if field else f"{where}: "
        super().__init__(prefix + message)


class InvalidInput(GuardlineError):
    """Input from a client is malformed. ``field`` names the offending field when there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        self.detail = message
        super().__init__(f"{field}: {message}" if field else message)


class StoreError(GuardlineError):
    """A storage backend failed or could not be reached."""


class IntegrityError(GuardlineError):
    """Stored data does not verify."""


class DetectorError(GuardlineError):
    """A detector failed; the pipeline turns this into a ``system.detector_error`` finding."""
