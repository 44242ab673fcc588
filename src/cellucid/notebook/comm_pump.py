"""Hearing the viewer's page while a notebook cell blocks: kernel subshells, or reading the
widget's comm messages in the wait.

A page on the widget's comm reaches Python as ``comm_msg`` messages on the kernel's shell
channel. JupyterLab ≥ 4.4 and Notebook 7 send them to a kernel *subshell* (its own thread, with
ipykernel ≥ 7), which answers while the cell's thread is busy. ipykernel 7.4 overrides that
choice for each comm: every message from the front end goes to the subshell of whichever thread
last *sent* on the comm (``BaseComm._reply_subshell_for``), which for our widget is the cell that
opened it — so the page's requests queued behind the running cell. `use_page_subshell` gives our
comm back the front end's choice.

Where there are no subshells (the setting switched off, ipykernel 6, VS Code's and Colab's widget
managers), the messages wait in the shell socket that the cell's own thread reads between cells.
A blocking wait on that thread calls `ShellPump.pump` between short slices (`blocking.py`): it
flushes the thread's shell stream once with a filter in front of the kernel's own handler. A
``custom`` message to a cellucid widget is answered at once (and reported handled: an ``idle``
status for it, then ``busy`` again for the cell, or the front end would keep a record of every
such message); every other message — a queued cell, another widget's message — goes to the
kernel's handler unchanged and in order, which queues it as if it had been read after the cell.
So a later cell never runs inside a wait. This is the technique of ``jupyter-ui-poll``, narrowed
to our own messages; that library calls ``Kernel.do_one_iteration``, which ipykernel ≥ 7.1 no
longer has, and runs every pending message, other widgets' included.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
import weakref

logger = logging.getLogger("cellucid")

# comm_id → the widget whose page sends on it; its `answer_page(content, buffers)` takes them.
_widgets: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_pumping = threading.local()


def register_widget(comm_id: str, widget) -> None:
    """Let waits answer the messages ``widget``'s page sends on comm ``comm_id``."""
    _widgets[comm_id] = widget


def unregister_widget(comm_id: str) -> None:
    """Forget comm ``comm_id`` (closed, or replaced)."""
    _widgets.pop(comm_id, None)


def use_page_subshell(comm) -> None:
    """Route the front end's messages on ``comm`` to the subshell the front end chose.

    ipykernel 7.4 routes each incoming comm message to the subshell of the thread that last sent
    on the comm (for replies to requests made from Python). The page's messages are requests of
    their own: they must run where the front end sent them, never behind the cell that opened
    the comm. Other kernels (ipykernel < 7.4, marimo) have no such routing: nothing to do.
    """
    if hasattr(comm, "_reply_subshell_for"):
        comm._reply_subshell_for = _front_end_choice


def _front_end_choice(data, subshell_id):
    return subshell_id


def pump_here() -> "ShellPump | None":
    """A pump for the calling thread when it is a Jupyter kernel's shell thread (the main one,
    or a subshell's) and a cellucid widget is open; else None (nothing to read here)."""
    if getattr(_pumping, "active", False) or not _widgets:
        return None
    kernel = _kernel()
    if kernel is None:
        return None
    stream = _shell_stream_of_this_thread(kernel)
    if stream is None or stream.closed():
        return None
    return ShellPump(kernel, stream)


def _kernel():
    module = sys.modules.get("ipykernel.kernelbase")
    if module is None or not module.Kernel.initialized():
        return None
    return module.Kernel.instance()


def _shell_stream_of_this_thread(kernel):
    """The ZMQ stream that brings the calling thread its shell messages, or None."""
    channel = getattr(kernel, "shell_channel_thread", None)
    if channel is None:  # ipykernel 6: the main thread reads the shell socket itself
        if threading.current_thread() is not threading.main_thread():
            return None
        return getattr(kernel, "shell_stream", None)
    # ipykernel 7: the shell channel thread hands each thread its messages over an inproc pair.
    try:
        subshell_id = channel.manager.subshell_id_from_thread_id(threading.get_ident())
        pair = channel.manager.get_shell_channel_to_subshell_pair(subshell_id)
    except (RuntimeError, KeyError):  # not a shell thread, or a subshell being deleted
        return None
    return pair.to_stream


class ShellPump:
    """One thread's shell stream, flushed through a filter that answers cellucid's messages."""

    def __init__(self, kernel, stream) -> None:
        self.kernel = kernel
        self.stream = stream

    def pump(self) -> int:
        """Answer the cellucid messages waiting for this thread; returns how many.

        Holds the notebook's interrupt while the kernel's handler is swapped out (so no
        message can be lost half-way), then raises it.
        """
        socket = self.stream.socket
        if socket is None or not socket.poll(0):
            return 0
        kernel_handler = self.stream._recv_callback
        copy = getattr(self.stream, "_recv_copy", False)
        answered = [0]

        def take(msg):
            if self._answer(msg):
                answered[0] += 1
                return None
            return kernel_handler(msg)

        with _interrupts_held():
            _pumping.active = True
            self.stream.on_recv(take, copy=copy)
            try:
                self.stream.flush(_POLLIN)
            finally:
                self.stream.on_recv(kernel_handler, copy=copy)
                _pumping.active = False
        return answered[0]

    def _answer(self, msg) -> bool:
        """Answer ``msg`` if it is a custom message to a cellucid widget; False otherwise."""
        session = self.kernel.session
        try:
            _, frames = session.feed_identities(msg, copy=False)
            peek = session.deserialize(frames, content=False, copy=False)
            if peek["header"].get("msg_type") != "comm_msg":
                return False
            widget = _widgets.get(session.unpack(peek["content"]).get("comm_id"))
            if widget is None:
                return False
            _, frames = session.feed_identities(msg, copy=False)
            full = session.deserialize(frames, content=True, copy=False)
        except Exception:  # not ours to judge: the kernel's handler reports bad messages
            return False
        data = full["content"].get("data") or {}
        if data.get("method") != "custom" or "content" not in data:
            return False
        try:
            widget.answer_page(data["content"], full["buffers"])
        except Exception:
            logger.exception("cellucid: a message of the viewer page could not be handled")
        self._report_done(full)
        return True

    def _report_done(self, msg) -> None:
        """Tell the front end ``msg`` was handled (an ``idle`` status for it, which ends the
        front end's record of the message), then that the kernel is still busy with the cell."""
        publish = getattr(self.kernel, "_publish_status", None)
        if publish is None:
            return
        try:
            publish("idle", "shell", msg)
            publish("busy", "shell")
        except Exception:  # a kernel shutting down: nothing to tell
            logger.debug("cellucid: no status for a page message", exc_info=True)


_POLLIN = 1  # zmq.POLLIN, without importing zmq outside a kernel


@contextlib.contextmanager
def _interrupts_held():
    """Hold SIGINT (the notebook's stop button) until the block ends, then deliver it."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is None:   # a handler Python cannot put back
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            if callable(previous):
                previous(signal.SIGINT, None)
            elif previous == signal.SIG_DFL:
                raise KeyboardInterrupt
