"""webdeps/ (the web app's pinned build and measuring tools), installed for the tests that
need one of its packages."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

WEBDEPS = Path(__file__).resolve().parents[1] / "webdeps"


def webdeps_with(package: str, why: str) -> Path:
    """webdeps/ with its locked packages installed (``npm ci`` first when ``package`` is
    missing). Skips the calling test, saying ``why`` it needs them, when Node.js or npm is not
    installed."""
    if shutil.which("node") is None:
        pytest.skip(f"Node.js is not installed: {why}")
    if not (WEBDEPS / "node_modules" / package).exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip(f"npm is not installed: cannot install webdeps' pinned {package} "
                        f"(`npm ci`): {why}")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=WEBDEPS, check=True,
                       capture_output=True, timeout=600)
    return WEBDEPS
