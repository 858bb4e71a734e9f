"""Fixtures of the production-path tests: one folder of collected static files for the session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    """Where `make serve` collects static files; shared, so later servers only update it."""
    return tmp_path_factory.mktemp("static")
