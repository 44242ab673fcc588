"""Headless Chromium for every browser test: where it is, how it starts, a logged page."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CHROMIUM_ARGS = [
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    """The Chromium binary to drive: ``CELLUCID_CHROMIUM``, Debian's, or one on PATH."""
    for candidate in (os.environ.get("CELLUCID_CHROMIUM"), "/usr/bin/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def new_page(browser, viewport: dict):
    """A fresh context and page; the page keeps its console on ``page.cellucid_logs``."""
    context = browser.new_context(viewport=viewport, device_scale_factor=1)
    page = context.new_page()
    logs: list[str] = []
    page.on("console", lambda m: logs.append(f"console.{m.type}: {m.text}"))
    page.on("pageerror", lambda e: logs.append(f"pageerror: {e}"))
    page.cellucid_logs = logs
    return page


def close_page(page, failed: bool, lines: int = 80) -> None:
    """Close ``page``'s context; print its browser log when the test failed."""
    if failed and page.cellucid_logs:
        print("\n--- browser log ---\n" + "\n".join(page.cellucid_logs[-lines:]))
    page.context.close()
