"""`CellucidWidget`: a viewer shown as a notebook widget (anywidget), with the kernel's comm as a
second way to the server.

The widget's front end (``widget/loader.js``) first tries the server's URL (``http_url``) and, if
it answers, shows the viewer page in an iframe exactly like the plain HTML output. If not — a
browser on another machine than the kernel, with no proxy to the server — it builds the page
from ``app_html``/``app_css``/``app_js`` inside the output and sends each of the page's requests
as a comm message, which `comm_requests.CommRequests` answers through the same server app.
Jupyter (Lab, Notebook 7, VS Code, Colab) and marimo (``mo.ui.anywidget(viewer.widget)``, or a
viewer as a cell's value) all carry widget messages, so nothing needs configuring. Each comm the
widget gets is handed to `comm_pump`, so that a running cell still hears the page.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import anywidget
import traitlets

from . import comm_pump
from .comm_requests import CommRequests

WIDGET_DIR = Path(__file__).parents[1] / "widget"
LOADER = WIDGET_DIR / "loader.js"
APP_SCRIPT = WIDGET_DIR / "app.js"
WEB_DIR = Path(__file__).parents[1] / "web"

# The front end until widget/loader.js is in place: the iframe of the HTTP path only.
FALLBACK_ESM = """
export default {
  render({ model, el }) {
    const query = new URLSearchParams({
      viewerId: model.get("viewer_id"), viewerToken: model.get("viewer_token") });
    const frame = document.createElement("iframe");
    frame.src = `${model.get("http_url")}?${query}`;
    frame.title = `cellucid viewer ${model.get("viewer_id")}`;
    frame.style.cssText = `border:0;width:100%;height:${model.get("height")}px;display:block`;
    el.appendChild(frame);
  },
};
"""

_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script\s*>", re.IGNORECASE | re.DOTALL)
_MODULEPRELOAD = re.compile(r"<link\b[^>]*\brel=[\"']?modulepreload\b[^>]*>", re.IGNORECASE)
_BODY = re.compile(r"<body\b[^>]*>(.*)</body\s*>", re.IGNORECASE | re.DOTALL)


def app_body_html(index_html: str) -> str:
    """The markup inside ``<body>`` of the viewer's index page, without scripts or preloads."""
    match = _BODY.search(index_html)
    body = match.group(1) if match else index_html
    return _MODULEPRELOAD.sub("", _SCRIPT.sub("", body)).strip()


@functools.lru_cache(maxsize=1)
def app_assets() -> tuple[str, str, str]:
    """``(app_js, app_css, app_html)``, read once per process.

    ``app_js`` is the app script, the web app built into one file (empty while it is not built: the
    widget then only has the HTTP path).
    """
    js = APP_SCRIPT.read_text(encoding="utf-8") if APP_SCRIPT.is_file() else ""
    css = (WEB_DIR / "style.css").read_text(encoding="utf-8")
    html = app_body_html((WEB_DIR / "index.html").read_text(encoding="utf-8"))
    return js, css, html


class CellucidWidget(anywidget.AnyWidget):
    """A viewer in a notebook output; its page reaches Python by HTTP or over the widget's comm.

    Made by `display.new_widget` (``viewer.widget``). Messages from the page are requests
    (docs/protocol.md, "Over the notebook's comm"); each is answered off the kernel's thread.
    """

    _esm = LOADER if LOADER.is_file() else FALLBACK_ESM

    viewer_id = traitlets.Unicode("").tag(sync=True)
    viewer_token = traitlets.Unicode("").tag(sync=True)
    http_url = traitlets.Unicode("").tag(sync=True)
    height = traitlets.Int(600).tag(sync=True)
    app_js = traitlets.Unicode("").tag(sync=True)
    app_css = traitlets.Unicode("").tag(sync=True)
    app_html = traitlets.Unicode("").tag(sync=True)

    def __init__(self, server, *, viewer_id: str, viewer_token: str, http_url: str,
                 height: int = 600, plain_text: str = "") -> None:
        js, css, html = app_assets()
        super().__init__(viewer_id=viewer_id, viewer_token=viewer_token, http_url=http_url,
                         height=int(height), app_js=js, app_css=css, app_html=html)
        self._plain_text = plain_text
        # Holds the server, not the viewer: ipywidgets keeps every widget alive, and a stopped
        # viewer's data must still be freed.
        self._requests = CommRequests(server, self._send_reply)
        self.on_msg(self._on_page_message)

    def _send_reply(self, content: dict, buffers: list) -> None:
        self.send(content, buffers)   # looked up per call (tests replace it)

    def _on_page_message(self, widget, content, buffers) -> None:
        self.answer_page(content, buffers)

    def answer_page(self, content, buffers) -> None:
        """Take one message of the page (returns at once; the reply is sent later)."""
        self._requests.handle(content, buffers)

    @traitlets.observe("comm")
    def _comm_for_the_page(self, change) -> None:
        if change["old"] is not None:
            comm_pump.unregister_widget(change["old"].comm_id)
        if change["new"] is not None:
            comm_pump.use_page_subshell(change["new"])
            comm_pump.register_widget(change["new"].comm_id, self)

    def _repr_mimebundle_(self, **kwargs):
        data, metadata = super()._repr_mimebundle_(**kwargs)
        if self._plain_text:
            data = {**data, "text/plain": self._plain_text}
        return data, metadata
