"""A kernel that runs ipykernel 6 (as Colab's does), for the notebook tests.

A virtual environment that sees this Python's packages (``--system-site-packages``: scanpy,
cellucid and the rest) with ``ipykernel<7`` installed in it, which shadows the ipykernel 7 of
this Python. It is made once and kept (``CELLUCID_IPYKERNEL6_ENV``, else a folder under the
user's cache); `.ci/run` makes it before the tests (``python -m tests.jupyter.ipykernel6``), and
the fixture makes it when it is missing. `install_kernelspec` registers it with a Jupyter server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REQUIREMENT = "ipykernel>=6.29,<7"
KERNEL_NAME = "cellucid-ipykernel6"
KERNELSPEC = {"name": KERNEL_NAME, "display_name": "Python 3 (ipykernel 6)",
              "language": "python"}


def env_dir() -> Path:
    """Where the environment lives: ``CELLUCID_IPYKERNEL6_ENV``, else the user's cache."""
    configured = os.environ.get("CELLUCID_IPYKERNEL6_ENV")
    if configured:
        return Path(configured)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "cellucid-tests" / f"ipykernel6-py{sys.version_info.major}{sys.version_info.minor}"


def ipykernel_version(python: Path) -> str | None:
    """The ipykernel version that ``python`` imports, or None."""
    if not python.exists():
        return None
    done = subprocess.run([str(python), "-c", "import ipykernel; print(ipykernel.__version__)"],
                          capture_output=True, text=True, timeout=60)
    return done.stdout.strip() if done.returncode == 0 else None


def ensure() -> Path:
    """The environment's Python, made (venv + pip) when it is missing; raises `RuntimeError`
    saying what failed."""
    root = env_dir()
    python = root / "bin" / "python"
    version = ipykernel_version(python)
    if version is None or not version.startswith("6."):
        # This Python's pip installs into the environment (--python), so the environment needs
        # no pip of its own (Debian's Python has no ensurepip without python3-venv).
        for step in ([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip",
                      "--clear", str(root)],
                     [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                      "--disable-pip-version-check", REQUIREMENT]):
            done = subprocess.run(step, capture_output=True, text=True, timeout=600)
            if done.returncode != 0:
                raise RuntimeError(f"making the ipykernel 6 environment failed at "
                                   f"{' '.join(step)}:\n{done.stdout}\n{done.stderr}")
        version = ipykernel_version(python)
        if version is None or not version.startswith("6."):
            raise RuntimeError(f"{python} imports ipykernel {version}, not 6.x")
    return python


def install_kernelspec(data_dir: Path, python: Path) -> dict:
    """Register the kernel in the Jupyter data folder ``data_dir``; returns the notebook
    metadata's ``kernelspec`` for it."""
    folder = data_dir / "kernels" / KERNEL_NAME
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": KERNELSPEC["display_name"], "language": "python"}))
    return dict(KERNELSPEC)


if __name__ == "__main__":
    print(ensure())
