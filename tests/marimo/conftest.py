"""A marimo app served by ``marimo run`` for the marimo tests; the browser fixtures are the
Jupyter tests' (headless Chromium in a thread of its own, a fresh page per scenario)."""

from __future__ import annotations

from tests.jupyter.conftest import in_page  # noqa: F401  (a fixture, re-exported)
