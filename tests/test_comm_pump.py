"""A real ipykernel hears the viewer's page while a cell blocks (comm_pump.py, blocking.py).

A kernel started with jupyter_client plays the notebook's front end: cells go out as
``execute_request`` messages, and the page's requests as ``comm_msg`` messages to the widget's
comm — on the main shell (a front end without subshells: the wait must read them itself), or
with a ``subshell_id`` (JupyterLab's comms over subshells). Results come back through files the
cells write.
"""

from __future__ import annotations

import json
import time

import pytest

from .waiting import until

pytest.importorskip("ipykernel")
jupyter_client = pytest.importorskip("jupyter_client.manager")

SETUP = """\
import json, pathlib, threading, time
import anndata, numpy as np, cellucid

def write(name, value):
    tmp = pathlib.Path({folder!r}, name + ".tmp")
    tmp.write_text(json.dumps(value, default=str))
    tmp.replace(tmp.with_name(name))

rng = np.random.default_rng(0)
adata = anndata.AnnData(np.zeros((50, 2), np.float32), obsm={{"X_umap": rng.random((50, 2))}})
viewer = cellucid.show_anndata(adata)
hooked = []
viewer.on_selection(lambda event: hooked.append(time.monotonic()))
write("viewer.json", {{"comm_id": viewer.widget.comm.comm_id, "viewer_id": viewer.viewer_id,
                       "token": viewer.viewer_token}})
"""


class KernelUnderTest:
    """An ipykernel and a client that sends what a notebook front end would."""

    def __init__(self, folder) -> None:
        self.folder = folder
        self.km, self.kc = jupyter_client.start_new_kernel(kernel_name="python3")
        self.rid = 0
        self.execute(SETUP.format(folder=str(folder)), wait=True)
        self.viewer = self.result("viewer.json")

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)

    def execute(self, code: str, subshell: str | None = None, wait: bool = False) -> str:
        """Send a cell (to ``subshell``); with ``wait``, its reply must be ``ok``."""
        msg = self.kc.session.msg("execute_request", {
            "code": code, "silent": False, "store_history": False, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": True})
        if subshell:
            msg["header"]["subshell_id"] = subshell
        self.kc.shell_channel.send(msg)
        if wait:
            reply = self.reply(msg["header"]["msg_id"])
            assert reply["content"]["status"] == "ok", reply["content"]
        return msg["header"]["msg_id"]

    def reply(self, msg_id: str, timeout: float = 60) -> dict:
        """The shell reply to ``msg_id`` (replies to other requests are dropped)."""
        deadline = time.monotonic() + timeout
        while True:
            reply = self.kc.get_shell_msg(timeout=max(0.01, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply

    def page_event(self, event_type: str, subshell: str | None = None, **payload) -> str:
        """Post an event as the viewer page does over the widget's comm; returns the message
        id."""
        self.rid += 1
        body = json.dumps({"type": event_type, "viewerId": self.viewer["viewer_id"],
                           "viewerToken": self.viewer["token"], **payload})
        request = {"kind": "request", "rid": self.rid, "method": "POST",
                   "url": "_cellucid/events", "headers": {"content-type": "application/json"},
                   "body": body}
        msg = self.kc.session.msg("comm_msg", {
            "comm_id": self.viewer["comm_id"], "data": {"method": "custom", "content": request}})
        if subshell:
            msg["header"]["subshell_id"] = subshell
        self.kc.shell_channel.send(msg)
        return msg["header"]["msg_id"]

    def statuses(self) -> list[tuple[str, str]]:
        """``(execution_state, parent msg_id)`` of the status messages published so far."""
        found = []
        while self.kc.iopub_channel.msg_ready():
            msg = self.kc.iopub_channel.get_msg(timeout=1)
            if msg["header"]["msg_type"] == "status":
                found.append((msg["content"]["execution_state"],
                              msg["parent_header"].get("msg_id")))
        return found

    def create_subshell(self) -> str:
        msg = self.kc.session.msg("create_subshell_request", {})
        self.kc.control_channel.send(msg)
        reply = self.kc.control_channel.get_msg(timeout=30)
        return reply["content"]["subshell_id"]

    def result(self, name: str, timeout: float = 60) -> dict:
        path = self.folder / name
        until(path.exists, timeout=timeout, what=name)
        return json.loads(path.read_text())


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    k = KernelUnderTest(tmp_path_factory.mktemp("kernel"))
    yield k
    k.close()


def test_a_blocked_cell_reads_the_page_and_later_cells_wait_their_turn(kernel):
    waiting = kernel.execute("""\
order = []
event = viewer.wait_for_event("selection", timeout=30)
write("waited.json", {"event": event, "later_cell_ran": order})
""")
    later = kernel.execute("order.append('later')")
    time.sleep(0.5)
    kernel.statuses()
    sent = kernel.page_event("selection", cells=[1, 2, 3])   # on the main shell: no subshell
    assert kernel.reply(waiting)["content"]["status"] == "ok"
    assert kernel.reply(later)["content"]["status"] == "ok"
    waited = kernel.result("waited.json")
    assert waited["event"] == {"cells": [1, 2, 3]}
    assert waited["later_cell_ran"] == []
    # The front end hears that the page's message was handled (its record of it ends), and
    # then that the kernel is still busy with the cell.
    statuses = kernel.statuses()
    done = statuses.index(("idle", sent))
    assert statuses[done + 1] == ("busy", waiting)


def test_the_page_is_heard_on_its_subshell_while_a_cell_computes(kernel):
    subshell = kernel.create_subshell()
    busy = kernel.execute("""\
hooked.clear()
start = time.monotonic()
while not hooked and time.monotonic() - start < 20:
    time.sleep(0.05)   # computing, not waiting on cellucid
write("busy.json", {"hook_after": hooked[0] - start if hooked else None,
                    "loop": time.monotonic() - start})
""")
    time.sleep(0.5)
    kernel.page_event("selection", subshell=subshell, cells=[4])
    assert kernel.reply(busy)["content"]["status"] == "ok"
    busy_result = kernel.result("busy.json")
    assert busy_result["hook_after"] is not None and busy_result["loop"] < 10


def test_a_wait_on_the_widgets_subshell_reads_its_messages(kernel):
    subshell = kernel.create_subshell()
    waiting = kernel.execute("""\
event = viewer.wait_for_event("selection", timeout=30)
write("subshell.json", event)
""", subshell=subshell)
    time.sleep(0.5)
    kernel.page_event("selection", subshell=subshell, cells=[7])
    assert kernel.reply(waiting)["content"]["status"] == "ok"
    assert kernel.result("subshell.json") == {"cells": [7]}


def test_the_interrupt_ends_a_wait_within_a_second(kernel):
    waiting = kernel.execute("""\
write("waiting.json", {})
try:
    viewer.wait_for_event("selection", timeout=60)
except KeyboardInterrupt:
    write("interrupted.json", {"at": time.time()})   # the wait has ended
    raise
""")
    kernel.result("waiting.json")
    time.sleep(0.3)
    start = time.time()
    kernel.km.interrupt_kernel()
    reply = kernel.reply(waiting, timeout=10)
    assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"
    assert kernel.result("interrupted.json")["at"] - start < 1
    # The viewer keeps working: a wait in the next cell hears the page again.
    again = kernel.execute("""\
write("again.json", viewer.wait_for_event(None, timeout=30))
""")
    time.sleep(0.3)
    kernel.page_event("selection", cells=[9])
    assert kernel.reply(again)["content"]["status"] == "ok"
    assert kernel.result("again.json") == {"event": "selection", "cells": [9]}
