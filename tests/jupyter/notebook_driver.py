"""Driving a real JupyterLab / Notebook 7 page with Playwright: notebooks, cells, viewer iframes.

Cells are run through the UI (select a cell, Ctrl+Enter), as a user would; what the kernel
learns is written by the notebook's own code to JSON files next to the notebook, which the
test reads once the cell's output shows a marker line (or the file appears: `wait_for_file`).
A viewer's output is the widget (`widget_output`), whose iframe loads the viewer from the
kernel's server or, when the page cannot reach it (`block_kernel_http`), runs it from
``srcdoc`` over the widget's comm; `IFRAMES` finds both by their title.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import numpy as np

READY = "body[data-cellucid-ready='1']"
IFRAMES = "iframe[title^='cellucid viewer']"
# The notebook on show (JupyterLab may keep other notebooks open in hidden tabs).
NOTEBOOK_PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
NOTEBOOK = f"{NOTEBOOK_PANEL} .jp-Notebook"
CELLS = f"{NOTEBOOK} .jp-Cell"
# An output holding a widget view (JupyterLab and Notebook 7 give it no data-mime-type).
WIDGET_OUTPUT = ".jp-OutputArea-output:not(.jp-RenderedHTMLCommon)"
HTML_OUTPUT = ".jp-OutputArea-output.jp-RenderedHTMLCommon"


# Notebook code defining ``write(name, value)``: JSON next to the notebook, written atomically
# (what `wait_for_file` reads). Needs ``json`` and ``pathlib`` imported.
WRITE_JSON = """\
def write(name, value):
    tmp = pathlib.Path(name + ".tmp")
    tmp.write_text(json.dumps(value, default=str))
    tmp.replace(name)
"""

PYTHON3 = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def write_notebook(server, folder: str, cells: list[str],
                   kernelspec: dict = PYTHON3) -> "NotebookFile":
    """Write a notebook of ``cells`` (code) as ``<root>/<folder>/notebook.ipynb``, for the
    kernel ``kernelspec`` (Python 3 by default).

    Each notebook has a folder of its own: its kernel runs there and writes its results there.
    """
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = dict(kernelspec)
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    directory = server.root / folder
    directory.mkdir()
    nbformat.write(nb, directory / "notebook.ipynb")
    return NotebookFile(server, directory, f"{folder}/notebook.ipynb")


class NotebookFile:
    """A notebook on the server's disk: where it is, and the results its kernel wrote."""

    def __init__(self, server, directory: Path, path: str) -> None:
        self.server, self.dir, self.path = server, directory, path

    def result(self, name: str) -> dict:
        """A JSON file the notebook's code wrote next to it."""
        return json.loads((self.dir / name).read_text())

    def kernel(self, timeout: float = 60, pause=time.sleep) -> dict:
        """This notebook's kernel once it is started and idle (polled through the REST API).

        ``pause(seconds)`` waits between polls (`pause_for`: a page's, so its routes run)."""
        deadline = time.monotonic() + timeout
        while True:
            sessions = [s for s in self.server.api("GET", "api/sessions")
                        if s.get("path") == self.path]
            if sessions and sessions[0]["kernel"]["execution_state"] == "idle":
                return sessions[0]["kernel"]
            if time.monotonic() > deadline:
                raise TimeoutError(f"no idle kernel for {self.path} within {timeout} s")
            pause(0.2)


def pause_for(page):
    """A ``pause(seconds)`` that keeps ``page``'s event loop turning: Playwright's sync API runs
    route handlers (`block_kernel_http`) only while the thread is inside a Playwright call, so a
    plain ``time.sleep`` would hold every routed request of the page."""
    return lambda seconds: page.wait_for_timeout(seconds * 1000)


def open_notebook(page, notebook: NotebookFile, ui: str) -> dict:
    """Open ``notebook`` in JupyterLab (``ui="lab"``) or Notebook 7; returns its idle kernel."""
    page.goto(notebook.server.page_url(ui, notebook.path))
    page.locator(CELLS).first.wait_for(timeout=60_000)
    return notebook.kernel(pause=pause_for(page))


def cell(page, index: int):
    return page.locator(CELLS).nth(index)


def select_cell(page, index: int) -> None:
    """Click cell ``index``'s prompt: the cell is selected and the notebook has the focus."""
    target = cell(page, index)
    # JupyterLab skips rendering the content of cells out of view (content-visibility), so
    # bring the cell itself into view before its prompt has a box to click.
    target.evaluate("e => e.scrollIntoView({block: 'start'})")
    target.locator(".jp-InputPrompt").first.click()


def run_cell(page, index: int) -> None:
    """Select cell ``index`` and run it in place (Ctrl+Enter), as from the keyboard."""
    select_cell(page, index)
    page.keyboard.press("Control+Enter")


def wait_for_output(page, index: int, text: str, timeout: float = 120) -> str:
    """Wait until cell ``index``'s output contains ``text``; returns the output's text."""
    outputs = cell(page, index).locator(".jp-OutputArea")
    outputs.get_by_text(text).first.wait_for(state="attached", timeout=timeout * 1000)
    # textContent, not innerText: a cell out of view is not rendered, and has no innerText.
    return outputs.first.text_content()


def run_all_cells(page) -> None:
    """Run every cell of the notebook from its Run menu (Run All Cells), as a user does."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).first.click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).first.click()


def viewer_iframes(page, index: int | None = None):
    """The viewer iframes of the whole notebook, or of cell ``index``."""
    scope = page.locator(NOTEBOOK) if index is None else cell(page, index)
    return scope.locator(IFRAMES)


def ready_frame(iframe, timeout: float = 90):
    """The Frame inside the viewer ``iframe`` locator, once its page posted ``ready``."""
    iframe.wait_for(state="attached", timeout=timeout * 1000)
    frame = iframe.element_handle().content_frame()
    frame.wait_for_selector(READY, state="attached", timeout=timeout * 1000)
    return frame


def center_iframe(iframe) -> dict:
    """Scroll the notebook so ``iframe`` is in the middle of the window; returns its box."""
    iframe.evaluate("e => e.scrollIntoView({block: 'center', inline: 'nearest'})")
    return iframe.bounding_box()


def cell_positions(frame) -> np.ndarray:
    """Where each cell is drawn, in CSS pixels of the iframe's own viewport (n×2)."""
    flat = frame.evaluate(
        """() => { const c = window.__cellucid; const out = [];
                   for (let i = 0; i < c.app.n; i++) {
                     const p = c.pagePoint(i); out.push(p.x, p.y);
                   }
                   return out; }""")
    return np.asarray(flat, dtype=np.float64).reshape(-1, 2)


def draw_lasso(page, iframe, *, dx: float = 0.0, dy: float = 0.0, rx: float = 110,
               ry: float = 80, n: int = 48) -> None:
    """Pick the lasso tool in the viewer and draw an ellipse with the real mouse.

    The ellipse is centred at the median cell position, shifted by ``dx``/``dy`` pixels.
    """
    frame = ready_frame(iframe)
    frame.locator("[data-testid=tool-lasso]").click()
    box = center_iframe(iframe)
    pos = cell_positions(frame)
    cx, cy = np.median(pos, axis=0) + (box["x"] + dx, box["y"] + dy)
    angles = np.linspace(0, 2 * np.pi, n + 1)
    points = [(cx + rx * np.cos(a), cy + ry * np.sin(a)) for a in angles]
    page.mouse.move(*points[0])
    page.mouse.down()
    for p in points[1:]:
        page.mouse.move(*p)
    page.mouse.up()


def inside(xy: np.ndarray, polygon) -> list[int]:
    """Rows of ``xy`` inside ``polygon`` (even-odd rule, as the page decides)."""
    from tests.e2e.viewer_helpers import points_in_polygon

    return np.flatnonzero(points_in_polygon(xy, polygon)).tolist()


def block_all_but(page, origin_url: str, blocked_prefixes: tuple[str, ...] = ()) -> dict:
    """Cut the page (and every frame in it) off from everything but ``origin_url``'s origin.

    Every request to another origin is aborted, and so is any URL starting with one of
    ``blocked_prefixes`` or holding a ``/_cellucid/`` path. Returns ``{"blocked": [urls
    aborted], "viewer_requests": [urls requested by a srcdoc viewer frame, blob:/data: aside]}``,
    filled as the page runs. (Playwright's sync API runs the handler only while the thread is in
    a Playwright call: wait with `pause_for`, not ``time.sleep``.)
    """
    origin = urlsplit(origin_url)[:2]
    seen: dict = {"blocked": [], "viewer_requests": []}

    def handle(route):
        url = route.request.url
        if urlsplit(url)[:2] != origin or url.startswith(blocked_prefixes) or "/_cellucid/" in url:
            seen["blocked"].append(url)
            route.abort()
        else:
            route.fallback()

    def note(request):
        try:
            srcdoc = request.frame.url == "about:srcdoc"
        except Exception:   # a request of no frame (a service worker)
            srcdoc = False
        if srcdoc and not request.url.startswith(("blob:", "data:")):
            seen["viewer_requests"].append(request.url)

    page.context.route("**/*", handle)
    page.on("request", note)
    return seen


def block_kernel_http(page, server) -> dict:
    """Cut the notebook page off from the kernel's HTTP server: only the Jupyter server's origin
    answers, and not its ``proxy/`` paths (jupyter-server-proxy). The viewer can then reach
    Python only over the widget's comm. Returns what `block_all_but` does."""
    return block_all_but(page, server.url, (f"{server.url}proxy/",))


def wait_for_file(page, path: Path, timeout: float = 120, check=None):
    """The JSON in ``path`` once it exists (and ``check(value)`` holds), polled while ``page``
    runs; the notebook's code writes it atomically (a temporary file renamed)."""
    pause = pause_for(page)
    deadline = time.monotonic() + timeout
    while True:
        if path.exists():
            value = json.loads(path.read_text())
            if check is None or check(value):
                return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path.name} was not written within {timeout} s")
        pause(0.05)


def widget_output(page, index: int):
    """The viewer widgets of cell ``index``: the box the widget's front end draws in
    (``.cellucid-output``), in an output that is not rendered HTML (which the plain iframe output
    of ``CELLUCID_DISPLAY=iframe`` is)."""
    return cell(page, index).locator(f"{WIDGET_OUTPUT} .cellucid-output")
