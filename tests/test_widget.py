"""The notebook widget (widget.py): what it carries to the front end, how a viewer shows itself
with it in Jupyter and marimo, and the CELLUCID_DISPLAY switch."""

from __future__ import annotations

import gc
import re
import weakref

import IPython
import pytest

from cellucid.notebook import display as notebook
from cellucid.notebook import widget
from cellucid.notebook.client_url import client_base_url
from cellucid.data import open_dataset
from cellucid.viewer import Viewer

from .conftest import small_adata
from .test_notebook import FakeKernelShell

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture
def shell(monkeypatch):
    fake = FakeKernelShell()
    monkeypatch.setattr(IPython, "get_ipython", lambda: fake)
    monkeypatch.setattr(notebook, "cell_viewers", notebook.CellViewers())
    monkeypatch.delenv("CELLUCID_DISPLAY", raising=False)
    return fake


@pytest.fixture
def shown(monkeypatch):
    outputs = []
    monkeypatch.setattr("IPython.display.display",
                        lambda data, raw=False, metadata=None: outputs.append(data))
    return outputs


def test_the_widget_carries_the_viewer_and_the_app(make_viewer):
    viewer = make_viewer(height=432)
    w = viewer.widget
    assert w is viewer.widget                                   # made once
    assert (w.viewer_id, w.viewer_token) == (viewer.viewer_id, viewer.viewer_token)
    assert w.http_url == client_base_url(viewer.server) and w.http_url.endswith("/")
    assert w.height == 432
    assert w.app_css == (widget.WEB_DIR / "style.css").read_text()
    assert 'id="app"' in w.app_html and 'data-testid="cellucid-canvas"' in w.app_html
    assert "<script" not in w.app_html and "modulepreload" not in w.app_html
    assert not re.search(r"<(body|head|html)\b", w.app_html)
    script = widget.APP_SCRIPT.read_text() if widget.APP_SCRIPT.is_file() else ""
    assert w.app_js == script
    state = w.get_state()
    assert {"viewer_id", "viewer_token", "http_url", "height", "app_js", "app_css",
            "app_html", "_esm"} <= set(state)
    if widget.LOADER.is_file():
        assert state["_esm"] == widget.LOADER.read_text()


def test_body_markup_without_scripts_or_preloads():
    page = ('<html><head><script src="x.js"></script></head><body class="b">\n'
            '<link rel="modulepreload" href="web/a.js"><div id="app">hi</div>'
            '<script type="module">alert(1)</script>\n</body></html>')
    assert widget.app_body_html(page) == '<div id="app">hi</div>'


def test_the_widget_output_says_to_rerun_the_cell(make_viewer):
    viewer = make_viewer()
    data, _ = viewer.widget._repr_mimebundle_()
    assert data[WIDGET_VIEW]["model_id"] == viewer.widget.model_id
    assert viewer.viewer_id in data["text/plain"] and "re-run" in data["text/plain"]


def test_the_widget_keeps_no_viewer_alive():
    viewer = Viewer(open_dataset(small_adata()))
    w = viewer.widget
    ref = weakref.ref(viewer)
    viewer.stop()
    del viewer
    gc.collect()
    assert w.viewer_id and ref() is None


def test_display_shows_the_widget_and_a_caption(make_viewer, shell, shown):
    viewer = make_viewer()
    shell.run("cell-1", "run-1")
    notebook.display_viewer(viewer)
    widget_output, caption = shown
    assert widget_output[WIDGET_VIEW]["model_id"] == viewer.widget.model_id
    assert "re-run" in widget_output["text/plain"]
    assert "re-run this cell" in caption["text/html"] and "<script" not in caption["text/html"]


def test_cellucid_display_iframe_keeps_the_html_output(make_viewer, shell, shown, monkeypatch):
    monkeypatch.setenv("CELLUCID_DISPLAY", "iframe")
    viewer = make_viewer()
    notebook.display_viewer(viewer)
    (data,) = shown
    assert set(data) == {"text/html", "text/plain"} and "<iframe" in data["text/html"]
    assert viewer._widget is None                               # no widget made at all
    assert viewer._repr_mimebundle_() == (notebook.iframe_output(viewer), {})


def test_an_unknown_display_mode_is_refused(make_viewer, shell, monkeypatch):
    monkeypatch.setenv("CELLUCID_DISPLAY", "popup")
    with pytest.raises(ValueError, match="CELLUCID_DISPLAY"):
        notebook.display_viewer(make_viewer())


def test_a_viewer_as_a_cell_value(make_viewer, shell):
    viewer = make_viewer()
    data, _ = viewer._repr_mimebundle_()
    assert data[WIDGET_VIEW]["model_id"] == viewer.widget.model_id
    assert viewer._repr_html_() == notebook.iframe_html(viewer)  # kept, for HTML-only readers


def test_outside_a_kernel_the_viewer_shows_as_html(make_viewer):
    viewer = make_viewer()
    assert viewer._repr_mimebundle_() == notebook.iframe_output(viewer)


def test_redisplay_follows_the_route(make_viewer, shell, shown, monkeypatch):
    viewer = make_viewer()
    notebook.display_viewer(viewer)
    monkeypatch.setenv("CELLUCID_CLIENT_SERVER_URL", "https://tunnel.example/cellucid")
    notebook.display_viewer(viewer)
    assert viewer.widget.http_url == "https://tunnel.example/cellucid/"


def test_marimo_shows_the_widget(make_viewer):
    mo = pytest.importorskip("marimo")
    from marimo._output.formatting import try_format

    viewer = make_viewer()
    assert viewer._display_() is viewer.widget
    ui = mo.ui.anywidget(viewer.widget)
    assert ui.widget is viewer.widget
    shown = try_format(viewer)
    assert shown.mimetype == "text/html" and "marimo-anywidget" in shown.data


def test_marimo_with_cellucid_display_iframe(make_viewer, monkeypatch):
    pytest.importorskip("marimo")
    from marimo._output.formatting import try_format

    monkeypatch.setenv("CELLUCID_DISPLAY", "iframe")
    viewer = make_viewer()
    shown = try_format(viewer)
    assert shown.mimetype == "text/html" and "<iframe" in shown.data
