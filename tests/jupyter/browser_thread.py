"""Headless Chromium driven from a thread of its own.

Playwright's sync API allows one instance per thread, and the e2e tests keep theirs open in the
main thread for the whole session. These tests therefore run their browser work in one
dedicated thread (``BrowserThread.call``), which also keeps every Playwright object on the
thread that created it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.browser import CHROMIUM_ARGS, chromium_path


class BrowserThread:
    """A Chromium browser living in one worker thread; ``call(fn, browser, *args)`` runs there."""

    def __init__(self) -> None:
        self.executable = chromium_path()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="playwright")
        self._playwright = None
        self.browser = None

    def start(self) -> "BrowserThread":
        def launch():
            from playwright.sync_api import sync_playwright

            self._playwright = sync_playwright().start()
            self.browser = self._playwright.chromium.launch(executable_path=self.executable,
                                                            args=CHROMIUM_ARGS)

        self._pool.submit(launch).result()
        return self

    def call(self, fn, *args, **kwargs):
        """Run ``fn(browser, *args, **kwargs)`` in the browser's thread; return or raise its
        outcome."""
        return self._pool.submit(fn, self.browser, *args, **kwargs).result()

    def close(self) -> None:
        def stop():
            if self.browser is not None:
                self.browser.close()
            if self._playwright is not None:
                self._playwright.stop()

        try:
            self._pool.submit(stop).result(timeout=60)
        finally:
            self._pool.shutdown(wait=False)
