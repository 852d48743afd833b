from __future__ import annotations

import pytest
from mon_helpers import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()
