"""Browser fixtures for the end-to-end tests: headless Debian Chromium driven by Playwright.

Fixtures (reusable by every e2e test module):

* ``browser`` (session): Chromium launched from ``/usr/bin/chromium`` (or ``CELLUCID_CHROMIUM``)
  with SwiftShader WebGL; never downloads a browser.
* ``page`` (function): a fresh 1000×650 page; its console and page errors are kept on
  ``page.cellucid_logs`` and printed when a test fails.
* ``pbmc68k`` (session): scanpy's bundled ``pbmc68k_reduced`` (700 cells, offline).
* ``viewer``: a viewer of ``pbmc68k``; ``ready``: ``page`` showing it, ready, with its events
  on ``page.cellucid_events``.
* ``open_viewer(page, viewer)``: loads the viewer page and waits for its ready marker.
* ``EventLog``/``event_log(viewer)``: every event the viewer routes, for ``log.next(type, ...)``.
"""

from __future__ import annotations

import os
import queue
import time
from pathlib import Path

import pytest

from tests.browser import CHROMIUM_ARGS, chromium_path, close_page, new_page

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
VIEWPORT = {"width": 1000, "height": 650}
READY_SELECTOR = "body[data-cellucid-ready='1']"


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    exe = chromium_path()
    if exe is None:
        pytest.skip("no Chromium: install Debian's chromium (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    pg = new_page(browser, VIEWPORT)
    yield pg
    rep = getattr(request.node, "rep_call", None)
    close_page(pg, rep is not None and rep.failed, lines=60)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


@pytest.fixture(scope="session")
def pbmc68k():
    sc = pytest.importorskip("scanpy")
    return sc.datasets.pbmc68k_reduced()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


class EventLog:
    """Collects every event a viewer routes (via ``on_message``) for tests to wait on."""

    def __init__(self, viewer, page=None):
        self.queue: queue.Queue = queue.Queue()
        self.seen: list[dict] = []
        # With a page, waiting keeps Playwright's event loop turning (route handlers run).
        self.page = page
        viewer.on_message(self.queue.put)

    def next(self, event_type: str, timeout: float = 20, predicate=None) -> dict:
        """The next ``event_type`` event (payload with ``event``) not yet taken; TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {event_type!r} event within {timeout} s; "
                                   f"saw {[e.get('event') for e in self.seen[-20:]]}")
            try:
                if self.page is None:
                    event = self.queue.get(timeout=left)
                else:
                    event = self.queue.get_nowait()
            except queue.Empty:
                if self.page is not None:
                    self.page.wait_for_timeout(20)
                continue
            self.seen.append(event)
            if event.get("event") == event_type and (predicate is None or predicate(event)):
                return event

    def drain(self) -> list[dict]:
        """Take every event already queued."""
        out = []
        while True:
            try:
                out.append(self.queue.get_nowait())
            except queue.Empty:
                self.seen.extend(out)
                return out


@pytest.fixture
def event_log():
    return EventLog


@pytest.fixture
def viewer(pbmc68k):
    """A viewer of pbmc68k_reduced, stopped after the test."""
    import cellucid

    v = cellucid.show_anndata(pbmc68k)
    yield v
    v.stop()


@pytest.fixture
def ready(page, viewer, open_viewer, event_log):
    """``page`` showing ``viewer``, ready; its events on ``page.cellucid_events``."""
    log = event_log(viewer)
    open_viewer(page, viewer)
    page.cellucid_events = log
    return page


@pytest.fixture
def open_viewer():
    """``open_viewer(page, viewer, timeout=60)``: navigate and wait until the page is ready."""

    def _open(pg, viewer, timeout: float = 60):
        pg.goto(viewer.viewer_url)
        pg.wait_for_selector(READY_SELECTOR, state="attached", timeout=timeout * 1000)
        viewer.wait_for_ready(timeout=timeout)
        return pg

    return _open
