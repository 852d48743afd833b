"""Shared fixtures: real PostgreSQL and Redis when reachable; skip with a reason otherwise, unless
GUARDLINE_REQUIRE_SERVICES=1 (CI), where an unreachable server fails the test."""

from __future__ import annotations

import socket

import pytest

from guardline.config import services_required

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def _need(name: str, host: str, port: int) -> None:
    if _reachable(host, port):
        return
    reason = f"{name} is not reachable on {host}:{port}"
    if services_required():
        pytest.fail(reason + " and GUARDLINE_REQUIRE_SERVICES=1")
    pytest.skip(reason)


@pytest.fixture
def postgres_url() -> str:
    _need("PostgreSQL", "127.0.0.1", 5432)
    return POSTGRES_URL


@pytest.fixture
def redis_url() -> str:
    _need("Redis", "127.0.0.1", 6379)
    return REDIS_URL
