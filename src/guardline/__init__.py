"""Guardline: a governance gateway between AI customer-service agents and their customers.

    >>> from guardline import Guard
    >>> guard = Guard()                                  # the built-in default policy
    >>> verdict = guard.check({"direction": "outbound", "text": "Call me on +1 415 555 0100"})
"""

from .errors import (
    ConfigError,
    GuardlineError,
    IntegrityError,
    InvalidInput,
    PolicyError,
    StoreError,
)
from .guard import Guard
from .policy import Policy, load_policy
from .types import (
    Action,
    Agent,
    AuditRef,
    Category,
    Channel,
    Direction,
    Finding,
    Message,
    Severity,
    Source,
    Verdict,
)

__version__ = "0.1.0"

__all__ = [
    "Action",
    "Agent",
    "AuditRef",
    "Category",
    "Channel",
    "ConfigError",
    "Direction",
    "Finding",
    "Guard",
    "GuardlineError",
    "IntegrityError",
    "InvalidInput",
    "Message",
    "Policy",
    "PolicyError",
    "Severity",
    "Source",
    "StoreError",
    "Verdict",
    "__version__",
    "load_policy",
]
