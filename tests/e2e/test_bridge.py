"""The page's side of the wire: console forwarding, retries, and the Python side going away."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np

import cellucid
from viewer_helpers import background_fraction, canvas_pixels, drag, isolated_cells, screen_positions


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


def test_python_session_gone_shows_overlay(page, open_viewer, artifacts):
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
    page.screenshot(path=str(artifacts / "viewer_session_ended.png"))


def test_long_poll_fallback_when_the_stream_is_buffered(page, viewer, open_viewer, event_log):
    # A proxy that buffers the stream: the SSE request never answers, so the page must poll.
    page.route("**/_cellucid/commands?*", lambda route: None)
    log = event_log(viewer, page)
    open_viewer(page, viewer)
    page.wait_for_selector("body[data-cellucid-command-mode='poll'][data-cellucid-connected='1']",
                           state="attached", timeout=20000)
    viewer.select([4, 2])
    event = log.next("selection", predicate=lambda e: e["source"] == "python")
    assert event["cells"] == [2, 4]
    ack = log.next("command_result")
    assert ack["ok"] is True


def test_high_dpi_picking_and_resize(browser, viewer, open_viewer, event_log):
    context = browser.new_context(viewport={"width": 900, "height": 600}, device_scale_factor=2)
    page = context.new_page()
    try:
        log = event_log(viewer)
        open_viewer(page, viewer)
        size = page.evaluate("(() => { const c = document.querySelector('#gl'); return [c.width, c.height, c.clientWidth, c.clientHeight]; })()")
        assert size[0] == 2 * size[2] and size[1] == 2 * size[3]
        cell = isolated_cells(page)[0]
        x, y = screen_positions(page)[cell]
        page.mouse.click(x, y)
        assert log.next("click")["cell"] == cell
        page.set_viewport_size({"width": 700, "height": 500})
        page.wait_for_selector("#gl", state="attached")
        for _ in range(50):
            size = page.evaluate("(() => { const c = document.querySelector('#gl'); return [c.width, c.height, c.clientWidth, c.clientHeight]; })()")
            if size[0] == 2 * size[2] and size[2] < 700:
                break
            page.wait_for_timeout(20)
        assert size[0] == 2 * size[2] and size[1] == 2 * size[3] and size[2] < 700
        cell = isolated_cells(page, min_gap_px=9, margin_px=20)[0]
        x, y = screen_positions(page)[cell]
        page.mouse.click(x, y)
        assert log.next("click")["cell"] == cell
        assert background_fraction(canvas_pixels(page)) < 0.98
    finally:
        context.close()


def test_one_dimensional_embedding(page, pbmc68k, open_viewer, event_log):
    adata = pbmc68k.copy()
    adata.obsm = {"X_pseudotime": np.asarray(adata.obs["n_genes"], dtype=np.float32)[:, None]}
    viewer = cellucid.show_anndata(adata)
    try:
        log = event_log(viewer)
        open_viewer(page, viewer)
        ready = log.next("ready")
        assert ready["dimensions"] == 1
        xs = np.asarray(adata.obsm["X_pseudotime"][:, 0], dtype=np.float32).astype(np.float64)
        box = page.locator("[data-testid=cellucid-canvas]").bounding_box()
        page.keyboard.press("l")
        cx = box["x"] + box["width"] / 2
        top, bottom = box["y"] + 5, box["y"] + box["height"] - 5
        drag(page, [(box["x"] + 5, top), (cx, top), (cx, bottom), (box["x"] + 5, bottom)], steps_between=6)
        event = log.next("selection")
        split = event["polygon"][1][0]
        assert event["cells"] == np.flatnonzero(xs < split).tolist()
    finally:
        viewer.stop()
