"""import_bench's memory figure is the importing process's own peak, whatever the process that
started it holds (on Linux, getrusage's maxrss of a started process counts its starter's)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CHILD = """
import django
django.setup()
from claims.management.commands.import_bench import _peak_resident_mb
print(round(_peak_resident_mb()))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc")
def test_the_peak_counts_the_importing_process_alone():
    held = bytearray(400 * 1024 * 1024)  # the bench's bundle text, say: 400 MB, every page touched
    held[::4096] = b"x" * len(held[::4096])

    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        capture_output=True,
        text=True,
        check=True,
        env={"DJANGO_SETTINGS_MODULE": "kb.settings", "PATH": "/usr/bin:/bin"},
        cwd=Path(__file__).resolve().parents[2],
    )

    assert 10 < int(done.stdout.split()[-1]) < 400
    del held
