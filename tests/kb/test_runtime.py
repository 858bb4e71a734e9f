"""The production server's workers keep what they loaded at start out of the garbage
collector's passes (kb/runtime.py)."""

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kb.runtime import GC_THRESHOLDS, bulk_allocation

ROOT = Path(__file__).resolve().parents[2]


def test_the_wsgi_application_freezes_what_it_loaded():
    script = "import gc, kb.wsgi; print(gc.get_freeze_count(), *gc.get_threshold())"
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "kb.settings"}
    environment.pop("DATABASE_URL", None)
    frozen = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True,
        text=True, check=True,
    )  # fmt: skip

    count, *thresholds = (int(number) for number in frozen.stdout.split())
    # Django, the project and every view module: tens of thousands of objects.
    assert count > 10_000
    assert tuple(thresholds) == GC_THRESHOLDS


def test_bulk_allocation_collects_less_and_restores_the_thresholds():
    before = gc.get_threshold()
    with bulk_allocation():
        assert gc.get_threshold() == GC_THRESHOLDS
    with bulk_allocation(acyclic=True):
        assert gc.get_threshold()[0] == 0  # no automatic collection
    assert gc.get_threshold() == before


def test_bulk_allocation_restores_the_thresholds_when_the_block_fails():
    before = gc.get_threshold()
    with pytest.raises(ZeroDivisionError), bulk_allocation(acyclic=True):
        1 / 0  # noqa: B018
    assert gc.get_threshold() == before
