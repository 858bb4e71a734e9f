"""Fixtures of the production-path tests: collected static files, and the browser tests' Chromium."""

from __future__ import annotations

import pytest

from tests.test_browser import browser  # noqa: F401 (Debian's headless Chromium, as everywhere)


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    """Where `make serve` collects static files; shared, so later servers only update it."""
    return tmp_path_factory.mktemp("static")
