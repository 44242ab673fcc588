"""The page's side of the wire: console forwarding, retries, and the Python side going away."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import cellucid
from viewer_helpers import background_fraction, canvas_pixels, isolated_cells, screen_positions


@pytest.fixture
def viewer(pbmc68k):
    v = cellucid.show_anndata(pbmc68k)
    yield v
    v.stop()


def test_console_forwarding(page, viewer, open_viewer, event_log):
    log = event_log(viewer)
    open_viewer(page, viewer)
    page.evaluate("console.warn('careful', {a: 1})")
    warn = log.next("console")
    assert warn["level"] == "warn" and warn["message"] == 'careful {"a":1}'
    assert warn["ts"].endswith("Z")
    page.evaluate("console.error('x'.repeat(9000))")
    err = log.next("console")
    assert err["level"] == "error" and len(err["message"]) <= 4000
    page.evaluate("setTimeout(() => { throw new Error('boom from a timer'); }, 0)")
    thrown = log.next("console", predicate=lambda e: "boom" in e["message"])
    assert thrown["level"] == "error" and "lineno" in thrown
    page.evaluate("Promise.reject(new Error('nobody caught me')); 0")
    rejected = log.next("console", predicate=lambda e: "nobody caught me" in e["message"])
    assert rejected["level"] == "error"


def test_failed_sends_are_retried_in_order_and_delivered_once(page, viewer, open_viewer, event_log):
    log = event_log(viewer, page)
    open_viewer(page, viewer)
    failures = {"n": 0}

    def flaky(route):
        body = route.request.post_data or ""
        if '"selection"' in body and failures["n"] < 3:
            failures["n"] += 1
            if failures["n"] == 1:
                route.fulfill(status=503, body='{"status":"error","message":"busy"}',
                              content_type="application/json")
            elif failures["n"] == 2:
                route.fulfill(status=429, headers={"Retry-After": "0"},
                              body='{"status":"error","message":"queue full"}',
                              content_type="application/json")
            else:
                route.abort("connectionreset")
            return
        route.continue_()

    page.route("**/_cellucid/events", flaky)
    cell = isolated_cells(page)[0]
    x, y = screen_positions(page)[cell]
    page.mouse.click(x, y)
    click = log.next("click")
    sel = log.next("selection")
    assert failures["n"] == 3
    assert click["cell"] == cell and sel["cells"] == [cell]
    # The click was sent before the selection; retrying the selection kept the order.
    order = [e["event"] for e in log.seen if e["event"] in ("click", "selection")]
    assert order == ["click", "selection"]
    page.evaluate("console.warn('after the retries')")
    log.next("console", predicate=lambda e: e["message"] == "after the retries")
    assert [e["event"] for e in log.drain()].count("selection") == 0


def test_give_up_shows_a_message(page, viewer, open_viewer):
    open_viewer(page, viewer)
    page.evaluate("window.__cellucid.bridge.options.maxAttempts = 2; window.__cellucid.bridge.options.baseDelayMs = 10")
    page.route("**/_cellucid/events", lambda route: route.fulfill(status=503, body="{}"))
    page.evaluate("console.warn('will not arrive')")
    page.wait_for_selector("#banner:not([hidden])")
    assert "Could not deliver" in page.locator("#banner").inner_text()


def test_theme_toggle_dark(page, viewer, open_viewer, artifacts):
    open_viewer(page, viewer)
    light = page.evaluate("window.__cellucid.app.theme")
    page.locator("[data-testid=action-theme]").click()
    dark = page.evaluate("window.__cellucid.app.theme")
    assert {light, dark} == {"light", "dark"}
    page.screenshot(path=str(artifacts / f"viewer_2d_{dark}.png"))
    assert background_fraction(canvas_pixels(page)) < 0.97


SERVE_SCRIPT = textwrap.dedent("""
    import sys, time
    import numpy as np
    import anndata as ad
    import cellucid
    rng = np.random.default_rng(0)
    adata = ad.AnnData(np.zeros((300, 2), dtype=np.float32))
    adata.obsm["X_umap"] = rng.normal(size=(300, 2)).astype(np.float32)
    v = cellucid.show_anndata(adata)
    print("URL", v.viewer_url, flush=True)
    time.sleep(600)
""")


def test_python_session_gone_shows_overlay(page, open_viewer):
    proc = subprocess.Popen([sys.executable, "-c", SERVE_SCRIPT], stdout=subprocess.PIPE, text=True)
    try:
        url = None
        for line in proc.stdout:
            if line.startswith("URL "):
                url = line.split()[1]
                break
        assert url, "the serving script printed no URL"
        page.goto(url)
        page.wait_for_selector("body[data-cellucid-ready='1']", state="attached", timeout=60000)
        page.wait_for_selector("body[data-cellucid-connected='1']", state="attached", timeout=20000)
        assert page.locator("[data-testid=session-ended]").is_hidden()
    finally:
        proc.kill()
        proc.wait()
    page.wait_for_selector("[data-testid=session-ended]", state="visible", timeout=20000)
    assert "The Python session ended" in page.locator("[data-testid=session-ended]").inner_text()
    assert "re-run the cell" in page.locator("[data-testid=session-ended]").inner_text()
