"""The production server's workers keep what they loaded at start out of the garbage
collector's passes (kb/runtime.py)."""

import os
import subprocess
import sys
from pathlib import Path

from kb.runtime import GC_THRESHOLDS

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
