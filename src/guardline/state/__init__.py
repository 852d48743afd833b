"""State stores: memory (default), SQLite, Redis; chosen by URL with ``open_state``."""

from .base import StateStore
from .memory import MemoryStore

__all__ = ["MemoryStore", "StateStore"]
