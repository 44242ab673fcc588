"""The wheel and the sdist that ``python -m build`` makes, and the wheel installed as a user would.

The wheel is installed (not editable) into a fresh virtual environment, with the ``demo`` extra
and its dependencies from the package index, and everything runs from a temporary directory
outside the repository, without this checkout on ``PYTHONPATH``: ``cellucid demo`` serves
scanpy's pbmc68k_reduced, headless Chromium opens it until the page is ready, and a lasso drawn
there reaches the demo's hook.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from .test_cli import Served, open_and_lasso

ROOT = Path(__file__).resolve().parents[1]
BUILD_TIMEOUT_S = 300
INSTALL_TIMEOUT_S = 900
# Must never ship: the tests, node's packages, docs and other build output, caches.
FORBIDDEN = re.compile(r"(^|/)(tests|node_modules|_build|jupyter_execute|build|dist|bench|"
                       r"webdeps|__pycache__|\.pytest_cache|\.hypothesis)(/|$)|\.pyc$")
SHIPPED = ("cellucid/web/index.html", "cellucid/web/main.js", "cellucid/web/vendor/plot.js",
           "cellucid/web/vendor/LICENSES/observablehq__plot.txt", "cellucid/widget/app.js")


def user_env() -> dict:
    """The environment of a user's shell: nothing of this checkout or of the test run."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
           and not k.startswith(("CELLUCID_", "PYTEST_"))}
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict:
    """``python -m build`` of the repository: the sdist, and the wheel built from it."""
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    wheels, sdists = list(out.glob("*.whl")), list(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, os.listdir(out)
    return {"wheel": wheels[0], "sdist": sdists[0]}


def tracked_package_files() -> list[str]:
    """Every file of ``src/cellucid`` that git tracks, as ``cellucid/...``."""
    listed = subprocess.run(["git", "ls-files", "src/cellucid"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.split()
    return [p[len("src/"):] for p in listed]


def test_wheel_holds_the_package_and_nothing_else(dist):
    names = set(zipfile.ZipFile(dist["wheel"]).namelist())
    missing = [p for p in tracked_package_files() if p not in names]
    assert not missing, f"tracked files not in the wheel: {missing[:10]}"
    assert all(p in names for p in SHIPPED)
    assert not [n for n in names if FORBIDDEN.search(n)]
    assert {n.split("/")[0] for n in names} == {"cellucid", dist["wheel"].name.split("-py3")[0]
                                               + ".dist-info"}
    metadata = zipfile.ZipFile(dist["wheel"]).read(
        next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "Provides-Extra: demo" in metadata and "Provides-Extra: docs" in metadata


def test_sdist_holds_the_package_and_nothing_else(dist):
    with tarfile.open(dist["sdist"]) as archive:
        names = {n.split("/", 1)[1] for n in archive.getnames() if "/" in n}
    missing = [p for p in tracked_package_files() if f"src/{p}" not in names]
    assert not missing, f"tracked files not in the sdist: {missing[:10]}"
    assert all(f"src/{p}" in names for p in SHIPPED)
    assert {"pyproject.toml", "README.md", "LICENSE", "PKG-INFO"} <= names
    assert not [n for n in names if FORBIDDEN.search(n)]
    assert not [n for n in names if n.startswith("docs/")]


@pytest.fixture(scope="module")
def installed(dist, tmp_path_factory):
    """A fresh venv with the wheel installed (``[demo]``); yields (python, cellucid, home)."""
    root = tmp_path_factory.mktemp("wheel-venv")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    done = subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet",
                           f"{dist['wheel']}[demo]"], capture_output=True, text=True,
                          env=user_env(), cwd=root, timeout=INSTALL_TIMEOUT_S)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    home = root / "elsewhere"
    home.mkdir()
    yield {"python": bin_dir / "python", "cellucid": bin_dir / "cellucid", "venv": venv,
           "home": home}
    shutil.rmtree(venv, ignore_errors=True)   # about 1 GB with scanpy


def test_installed_package_is_the_wheel_not_the_checkout(installed):
    done = subprocess.run([str(installed["python"]), "-c",
                           "import cellucid, pathlib; print(pathlib.Path(cellucid.__file__)"
                           ".resolve()); print(cellucid.__version__)"],
                          capture_output=True, text=True, env=user_env(), cwd=installed["home"],
                          timeout=120, check=True)
    where, version = done.stdout.split()
    assert Path(where).is_relative_to(installed["venv"].resolve()), where
    assert not Path(where).is_relative_to(ROOT)
    import cellucid

    assert version == cellucid.__version__
    web = Path(where).parent / "web"
    assert (web / "index.html").is_file() and (web / "vendor" / "plot.js").is_file()


@pytest.mark.e2e
def test_installed_demo_serves_a_viewer_that_reaches_ready(installed, chromium):
    served = Served([str(installed["cellucid"]), "demo", "--no-browser", "--port", "0"],
                    cwd=installed["home"], base_env=user_env())
    try:
        url = served.url()
        assert url.startswith("http://127.0.0.1:") and "viewerToken=" in url
        served.line("cellucid: serving pbmc68k_reduced (700 cells)")
        cells = chromium.call(_lasso_when_ready, url, served)
        assert 0 < cells < 700
        assert served.interrupt() == 0
    finally:
        served.kill()


def _lasso_when_ready(browser, url: str, served: Served) -> int:
    """Open the demo's page, wait for ready, lasso the middle; the number the demo printed."""
    context, _ = open_and_lasso(browser, url)
    try:
        line = served.line("selected ", timeout=30)
        assert line.endswith("cells (lasso)"), line
        return int(line.split()[1])
    finally:
        context.close()
