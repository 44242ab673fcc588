"""Work the page asks Python for (``compare_request``, ``plot_genes_request``), run on the
viewer's own daemon worker thread, never on a request thread or the callbacks' thread.

Each request is answered with a command (``showComparison``/``showGenePlot`` naming the result,
or the error); a comparison also reaches Python's hooks as a ``comparison`` event. At most
`MAX_QUEUED_REQUESTS` wait for the worker; a request beyond that is answered at once (busy).
"""

from __future__ import annotations

import logging
import queue
import threading
import warnings
from collections.abc import Callable

from ..errors import CommandError
from .dispatch import QueueFull

logger = logging.getLogger("cellucid")

MAX_QUEUED_REQUESTS = 4    # page requests waiting for the worker


class Busy(RuntimeError):
    """Too many requests from the page are waiting already."""


class Worker:
    """One daemon thread running work one item at a time, started on first use."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._queue: queue.Queue = queue.Queue(MAX_QUEUED_REQUESTS)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, work: Callable[[], None]) -> None:
        """Run ``work`` on the thread, after the work before it. Raises `Busy`."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
        try:
            self._queue.put_nowait(work)
        except queue.Full:
            raise Busy(f"{MAX_QUEUED_REQUESTS} requests from the page are waiting already; try "
                       f"again when they are done") from None

    def stop(self) -> None:
        """End the thread after the work it runs (queued work is dropped)."""
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        if self._thread is not None:
            self._queue.put(None)

    def _run(self) -> None:
        while True:
            work = self._queue.get()
            if work is None:
                return
            try:
                work()
            except Exception:   # the work reports its own failures; this is a last resort
                logger.exception("cellucid: a request from the page failed")


class PageWork:
    """The comparisons and gene plots one viewer's page asks for (``session``: its
    `ViewerSession`), taken as their events are routed."""

    def __init__(self, session) -> None:
        self.session = session
        self.worker = Worker("cellucid-analyses")

    def compare(self, payload: dict) -> None:
        """Take a checked ``compare_request``: compare on the worker, then tell the page."""
        from ..compare import REST, NegativeValuesWarning   # late, as in `Analyses.compare`

        session, request_id = self.session, payload["requestId"]
        reference = payload["reference"]
        labels = (payload.get("groupLabel") or f"selection ({len(payload['group'])} cells)",
                  payload.get("referenceLabel") or (REST if reference == REST
                                                    else f"{len(reference)} cells"))

        def work() -> None:
            try:
                compared = session.analyses.compare(
                    payload["group"], reference, method=payload["method"], labels=labels,
                    use_raw=payload.get("useRaw"), layer=payload.get("layer"),
                    tie_correct=payload.get("tieCorrect", False), progress=False)
            except (ValueError, KeyError) as exc:
                self._tell_page("showComparison", {"requestId": request_id,
                                                   "error": _message(exc)})
                return
            if compared.note:
                warnings.warn(compared.note, NegativeValuesWarning, stacklevel=1)
            self._emit("comparison", {"group": payload["group"], "reference": reference,
                                      "method": payload["method"], "matrix": compared.matrix,
                                      "tie_correct": payload.get("tieCorrect", False),
                                      "result": compared.frame})
            self._tell_page("showComparison", {"requestId": request_id,
                                               "resultId": compared.result_id})

        self._submit(work, "showComparison", request_id)

    def plot_genes(self, payload: dict) -> None:
        """Take a checked ``plot_genes_request``: plot on the worker, then tell the page."""
        session, request_id = self.session, payload["requestId"]

        def work() -> None:
            try:
                result_id, _ = session.analyses.gene_plot(
                    payload["genes"], payload["groupby"], use_raw=payload.get("useRaw"),
                    layer=payload.get("layer"))
            except (ValueError, KeyError) as exc:
                self._tell_page("showGenePlot", {"requestId": request_id,
                                                 "error": _message(exc)})
                return
            self._tell_page("showGenePlot", {"requestId": request_id, "resultId": result_id})

        self._submit(work, "showGenePlot", request_id)

    def stop(self) -> None:
        """End the worker after the request it runs (queued ones are dropped)."""
        self.worker.stop()

    def _submit(self, work, command: str, request_id: str) -> None:
        try:
            self.worker.submit(work)
        except Busy as exc:
            self._tell_page(command, {"requestId": request_id, "error": str(exc)})

    def _tell_page(self, command: str, fields: dict) -> None:
        try:
            self.session.tell_page(command, fields)
        except CommandError as exc:
            logger.warning("cellucid: could not answer the page (%s)", exc)

    def _emit(self, event_type: str, payload: dict) -> None:
        try:
            self.session.deliver(event_type, payload)
        except QueueFull as exc:
            logger.warning("cellucid: a %r event was not delivered: %s", event_type, exc)


def _message(exc: Exception) -> str:
    return exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
