"""The notebook output: its HTML, its text form, and a cell run again replacing its viewer."""

from __future__ import annotations

import html
import re

import IPython
import pytest

from cellucid.notebook import display as notebook


class FakeKernelShell:
    """Stands in for ipykernel's shell: a kernel, and the parent message of the running cell."""

    kernel = object()
    config: dict = {}

    def __init__(self):
        self.parent = {}

    def run(self, cell_id, run_id):
        self.parent = {"header": {"msg_id": run_id}, "metadata": {"cellId": cell_id}}

    def get_parent(self):
        return self.parent


@pytest.fixture
def shell(monkeypatch):
    fake = FakeKernelShell()
    monkeypatch.setattr(IPython, "get_ipython", lambda: fake)
    monkeypatch.setattr(notebook, "cell_viewers", notebook.CellViewers())
    return fake


@pytest.fixture
def shown(monkeypatch):
    outputs = []
    monkeypatch.setattr("IPython.display.display",
                        lambda data, raw=False, metadata=None: outputs.append((data, raw)))
    return outputs


def test_iframe_fills_the_width_at_the_asked_height(make_viewer):
    viewer = make_viewer(height=432)
    out = notebook.iframe_html(viewer)
    src = re.search(r'<iframe src="([^"]+)"', out).group(1)
    assert html.unescape(src) == viewer.viewer_url
    assert 'width="100%"' in out and "width:100%" in out
    assert 'height="432"' in out and "height:432px" in out
    assert "<script" not in out.lower() and "javascript:" not in out.lower()


def test_caption_outside_the_frame_says_how_to_bring_it_back(make_viewer):
    viewer = make_viewer()
    out = notebook.iframe_html(viewer)
    caption = out.split("</iframe>", 1)[1]
    assert "re-run this cell" in caption and viewer.viewer_id in caption
    text = notebook.plain_text(viewer)
    assert viewer.viewer_url in text and "re-run" in text


def test_redisplay_shows_the_same_live_viewer(make_viewer):
    viewer = make_viewer()
    assert viewer._repr_html_() == notebook.iframe_html(viewer)
    assert viewer._repr_html_() == viewer._repr_html_()


def test_not_in_a_notebook_under_pytest():
    assert notebook.in_notebook() is False


def test_in_notebook_with_a_kernel_shell(shell):
    assert notebook.in_notebook() is True


def test_current_cell_reads_the_execute_request(shell):
    assert notebook.current_cell() is None
    shell.run("cell-1", "msg-1")
    assert notebook.current_cell() == ("cell-1", "msg-1")


def test_display_sends_html_and_text_without_javascript(make_viewer, shell, shown,
                                                        monkeypatch):
    monkeypatch.setenv("CELLUCID_DISPLAY", "iframe")   # the widget is tested in test_widget.py
    viewer = make_viewer()
    shell.run("cell-1", "msg-1")
    notebook.display_viewer(viewer)
    (data, raw), = shown
    assert raw is True
    assert set(data) == {"text/html", "text/plain"}
    assert "<iframe" in data["text/html"] and "<script" not in data["text/html"]


def test_running_a_cell_again_replaces_its_viewers(make_viewer, shell, shown):
    first, second, other = make_viewer(), make_viewer(), make_viewer()
    shell.run("cell-1", "run-1")
    notebook.display_viewer(first)
    notebook.display_viewer(second)  # two viewers from one run of one cell: both stay
    shell.run("cell-2", "run-2")
    notebook.display_viewer(other)
    assert not any(v.stopped for v in (first, second, other))

    replacement = make_viewer()
    shell.run("cell-1", "run-3")
    notebook.display_viewer(replacement)
    assert first.stopped and second.stopped
    assert not replacement.stopped and not other.stopped
    assert first.server.registry.get(first.viewer_id) is None
    freeze = [c for c in first.pending_commands if c["type"] == "freeze"]
    assert freeze and freeze[0]["message"] == notebook.REPLACED_MESSAGE
    assert notebook.cell_viewers.viewers("cell-1") == [replacement]


def test_viewers_shown_outside_a_known_cell_are_left_alone(make_viewer, shell, shown):
    first, second = make_viewer(), make_viewer()
    notebook.display_viewer(first)  # no cellId (e.g. a front end that does not send it)
    notebook.display_viewer(second)
    assert not first.stopped and not second.stopped


def test_replacing_after_the_server_stopped_does_not_fail(make_viewer, shell, shown):
    first = make_viewer()
    shell.run("cell-1", "run-1")
    notebook.display_viewer(first)
    first._session.commands.close()  # as Server.stop() leaves every channel
    second = make_viewer()
    shell.run("cell-1", "run-2")
    notebook.display_viewer(second)
    assert first.stopped
