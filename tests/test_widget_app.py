"""The notebook widget's app script (``src/cellucid/widget/app.js``) is built from the web app.

It is committed, so running cellucid needs no Node.js; this test rebuilds it with webdeps' pinned
esbuild (``npm ci`` first when ``webdeps/node_modules`` is missing) into a temporary file and fails
when the committed script differs from what the sources build.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from .webdeps import webdeps_with

ROOT = Path(__file__).resolve().parents[1]
WEBDEPS = ROOT / "webdeps"
APP_SCRIPT = ROOT / "src" / "cellucid" / "widget" / "app.js"
STALE = "the widget's app script is stale: run `cd webdeps && npm run build:widget`"


def build_command() -> list[str]:
    """The ``build:widget`` command of webdeps/package.json, as an argument list."""
    scripts = json.loads((WEBDEPS / "package.json").read_text())["scripts"]
    return shlex.split(scripts["build:widget"])


@pytest.fixture(scope="module")
def webdeps_installed():
    return webdeps_with("esbuild", "the widget's app script cannot be rebuilt to compare")


def test_esbuild_is_pinned():
    deps = json.loads((WEBDEPS / "package.json").read_text())["devDependencies"]
    assert deps["esbuild"][0].isdigit(), "esbuild must be pinned to one version (no ^ or ~)"


def test_the_committed_app_script_is_what_the_sources_build(webdeps_installed, tmp_path):
    assert APP_SCRIPT.exists(), STALE
    out = tmp_path / "app.js"
    command = build_command()
    assert command[0] == "node"
    proc = subprocess.run([shutil.which("node"), *command[1:], "--outfile", str(out)],
                          cwd=WEBDEPS, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert out.read_bytes() == APP_SCRIPT.read_bytes(), STALE


def test_the_app_script_loads_nothing_relative_to_its_url():
    # It runs from a blob: URL, where a relative import or fetch has nothing to resolve against.
    text = APP_SCRIPT.read_text(encoding="utf-8")
    assert "import(" not in text
    assert "import.meta" not in text
    assert "export{" in text and "createCommFetch" in text
