"""The viewer's page in headless Chromium, for the tutorials executed when the docs build.

A static page cannot run a live viewer. While the documentation builds (``CELLUCID_DOCS_BUILD=1``,
set by ``docs/conf.py``), `ViewerPage` opens the viewer's own page in the headless Chromium the
test suite uses (Debian's ``/usr/bin/chromium`` through Playwright, SwiftShader WebGL; the flags
of ``tests/browser.py``), acts on it with the real mouse and keyboard, and shows screenshots of it
where the live viewer would be. So every event and callback output in a built tutorial is real.

Run by a person in Jupyter, the notebook shows the live viewer itself: `ViewerPage.picture` shows
nothing, and a gesture (`ViewerPage.lasso`, `ViewerPage.label_selection`) asks the person to make
it and waits for the event it sends.
"""

from __future__ import annotations

import atexit
import os
import queue

import numpy as np

VIEWPORT = {"width": 960, "height": 600}
READY_SELECTOR = "body[data-cellucid-ready='1']"
_browser = None


def building_docs() -> bool:
    """Whether the documentation build (not a person) is running this notebook."""
    return os.environ.get("CELLUCID_DOCS_BUILD") == "1"


def _shared_browser():
    """One headless Chromium per kernel, in a thread of its own (Jupyter's loop runs in this one)."""
    global _browser
    if _browser is None:
        from tests.browser import chromium_path
        from tests.jupyter.browser_thread import BrowserThread

        if chromium_path() is None:
            raise RuntimeError("building the tutorials needs Chromium at /usr/bin/chromium "
                               "(Debian: apt-get install chromium)")
        _browser = BrowserThread().start()
        atexit.register(_browser.close)   # the kernel's exit closes Chromium with it
    return _browser


class ViewerPage:
    """A viewer's page: in headless Chromium while the docs build, the person's own otherwise."""

    def __init__(self, viewer, *, timeout: float = 120) -> None:
        self.viewer = viewer
        self.timeout = timeout
        self._browser = None
        self._page = None
        if building_docs():
            self._browser = _shared_browser()
            self._page = self._browser.call(self._open, viewer.viewer_url, timeout)
            viewer.wait_for_ready(timeout=timeout)

    @staticmethod
    def _open(browser, url: str, timeout: float):
        context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector(READY_SELECTOR, state="attached", timeout=timeout * 1000)
        return page

    def _on_page(self, fn, *args):
        return self._browser.call(lambda _browser: fn(self._page, *args))

    def picture(self, *, settle_ms: int = 300):
        """Show a screenshot of the page (the live view's place in the built docs)."""
        if self._page is None:
            return None
        from IPython.display import Image, display

        def shoot(page):
            page.wait_for_timeout(settle_ms)  # the last command's frame reaches the canvas
            return page.screenshot(type="png")

        png = self._on_page(shoot)
        display(Image(data=png, format="png"))
        return None

    def cell_positions(self, cells) -> np.ndarray:
        """Where each of ``cells`` is drawn on the page, in CSS pixels (len(cells) × 2); NaN for
        a cell the page does not draw (above its point budget it draws a sample)."""
        flat = self._on_page(lambda page: page.evaluate(
            """(cells) => { const c = window.__cellucid; const out = new Array(cells.length * 2);
                            cells.forEach((cell, i) => { const p = c.pagePoint(cell);
                              out[2*i] = p.x; out[2*i+1] = p.y; });
                            return out; }""", [int(c) for c in cells]))
        return np.asarray(flat, dtype=np.float64).reshape(-1, 2)

    def lasso(self, around, *, quantile: float = 0.8) -> dict:
        """Draw a lasso (key L, then the mouse) around most of the cells ``around``; return the
        ``selection`` event once every callback ran. A person draws their own; this waits for it.
        """
        if self._page is None:
            print("Draw a lasso in the viewer (press L, then drag around some cells).")
            return self._wait_after(lambda: None, "selection")
        pos = self.cell_positions(around)
        pos = pos[np.isfinite(pos).all(axis=1)]   # the cells drawn
        centre = np.median(pos, axis=0)
        radius = float(np.quantile(np.hypot(*(pos - centre).T), quantile)) + 6.0
        angles = np.linspace(0, 2 * np.pi, 73)
        path = [(centre[0] + radius * np.cos(a), centre[1] + radius * np.sin(a)) for a in angles]

        def draw(page):
            page.keyboard.press("l")
            page.mouse.move(*path[0])
            page.mouse.down()
            for point in path[1:]:
                page.mouse.move(*point)
            page.mouse.up()

        return self._wait_after(lambda: self._on_page(draw), "selection")

    def label_selection(self, label: str) -> dict:
        """Name the current selection in the page (key A, the label, Enter); return the
        ``annotation`` event once every callback ran. A person types their own."""
        if self._page is None:
            print("Name the selection in the viewer (press A, type a label, Enter).")
            return self._wait_after(lambda: None, "annotation")

        def type_label(page):
            page.locator("[data-testid=cellucid-canvas]").focus()
            page.keyboard.press("a")
            page.locator("[data-testid=cellucid-annotate-label]").fill(label)
            page.keyboard.press("Enter")

        return self._wait_after(lambda: self._on_page(type_label), "annotation")

    def _wait_after(self, act, event_type: str) -> dict:
        """Run ``act`` and return the next ``event_type`` event it causes, after the callbacks."""
        seen: queue.Queue = queue.Queue()
        hook = self.viewer.on(event_type)(seen.put)
        try:
            act()
            event = seen.get(timeout=self.timeout if self._page is not None else 600)
        finally:
            self.viewer.off(event_type, hook)
        self.viewer.wait_for_callbacks(timeout=self.timeout)
        return event

    def close(self) -> None:
        """Close the page (the viewer keeps running)."""
        if self._page is not None:
            self._on_page(lambda page: page.context.close())
            self._page = None
