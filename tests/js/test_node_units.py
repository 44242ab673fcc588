"""Runs the web app's JavaScript unit tests (``node --test tests/js/``) as part of pytest."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def test_web_app_unit_tests_pass_under_node():
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed; the web app's unit tests need `node --test`")
    files = sorted(str(p) for p in HERE.glob("*.test.mjs"))
    assert files, "no JavaScript unit tests found"
    proc = subprocess.run([node, "--test", *files], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
