"""Running a benchmark's measurement in a fresh Python process (its own imports, its own peak memory).

The measured code prints one JSON object as its last line of output; that object is returned.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_in_fresh_process(code: str, *args: str) -> dict:
    """Run `code` with `args` in a new interpreter at the project root; its last output line as JSON."""
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    if done.returncode != 0:
        raise SystemExit(f"a measurement failed (arguments {' '.join(args) or 'none'}):\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])
