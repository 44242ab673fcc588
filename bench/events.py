"""Events path benchmark: POST → callback start for large selections, and hover throughput.

Run ``python bench/events.py``; it writes the "events" section of ``bench/RESULTS.md``.

* Selection latency: a dataset of N cells, 30 % of them chosen at random (so the deflated
  bitmask barely compresses), posted as the page posts it; timed from just before the request is
  sent to the first line of the Python callback. N = 1k, 100k, 1M, 10M.
* Hover throughput: client processes post hover events over keep-alive connections as fast as
  they can for a few seconds while a callback runs; every event is accounted for as delivered or
  coalesced (newest-wins while the callback is behind), none lost.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing as mp
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from results import median_ms, write_section  # noqa: E402
from viewer_client import bitmask  # noqa: E402

from cellucid.viewer import Viewer  # noqa: E402

SIZES = [1_000, 100_000, 1_000_000, 10_000_000]
REPEATS = {1_000: 30, 100_000: 20, 1_000_000: 15, 10_000_000: 7}
HOVER_SECONDS = 4.0
HOVER_CLIENTS = 2


class EmbeddingOnly:
    """A dataset with only a cell count: the events path needs no more."""

    def __init__(self, n_cells: int) -> None:
        self.n_cells, self.n_genes, self.default_embedding, self.adata = n_cells, 0, "X", None
        self.adata_in_memory = self.cell_names = None

    def manifest(self) -> dict:
        return {"embeddings": [{"name": "X", "dims": 2}]}

    def embedding_info(self, name: str) -> dict:
        if name != "X":
            raise KeyError(name)
        return self.manifest()["embeddings"][0]

    def resolve_color_field(self, name):
        raise KeyError(name)


def post(conn: http.client.HTTPConnection, body: bytes) -> int:
    conn.request("POST", "/_cellucid/events", body=body,
                 headers={"Content-Type": "application/json"})
    reply = conn.getresponse()
    reply.read()
    return reply.status


def selection_latency(n_cells: int) -> dict:
    viewer = Viewer(EmbeddingOnly(n_cells))
    rng = np.random.default_rng(n_cells)
    cells = np.flatnonzero(rng.random(n_cells) < 0.3)
    wire = bitmask(cells, n_cells)
    body = json.dumps({"type": "selection", "viewerId": viewer.viewer_id,
                       "viewerToken": viewer.viewer_token, "cells": wire,
                       "source": "lasso"}).encode()
    started = threading.Event()
    stamp = {}

    @viewer.on_selection
    def hook(event):
        stamp["t"] = time.perf_counter()
        stamp["n"] = len(event["cells"])
        started.set()

    host, port = viewer.server_url.split("//")[1].rstrip("/").split(":")
    conn = http.client.HTTPConnection(host, int(port))
    samples, replies = [], []
    for _ in range(REPEATS[n_cells]):
        started.clear()
        t0 = time.perf_counter()
        assert post(conn, body) == 200
        replies.append(time.perf_counter() - t0)
        assert started.wait(30)
        samples.append(stamp["t"] - t0)
        assert stamp["n"] == cells.size
    conn.close()
    viewer.stop()
    return {"n": n_cells, "selected": int(cells.size), "body_kb": len(body) / 1024,
            "median_ms": median_ms(samples), "p90_ms": float(np.percentile(samples, 90)) * 1000,
            "reply_ms": median_ms(replies)}


def _hover_client(server: str, viewer_id: str, token: str, seconds: float, queue) -> None:
    host, port = server.split("//")[1].rstrip("/").split(":")
    conn = http.client.HTTPConnection(host, int(port))
    sent = errors = 0
    end = time.perf_counter() + seconds
    cell = 0
    while time.perf_counter() < end:
        body = json.dumps({"type": "hover", "viewerId": viewer_id, "viewerToken": token,
                           "cell": cell % 1000, "position": {"x": 0.5, "y": 0.25, "z": 0}})
        if post(conn, body.encode()) == 200:
            sent += 1
        else:
            errors += 1
        cell += 1
    queue.put((sent, errors))


def hover_throughput() -> dict:
    viewer = Viewer(EmbeddingOnly(1000))
    handled = []

    @viewer.on_hover
    def hook(event):
        handled.append(event["cell"])
        time.sleep(0.0005)   # a callback doing a little work

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    clients = [ctx.Process(target=_hover_client, args=(viewer.server_url, viewer.viewer_id,
                                                       viewer.viewer_token, HOVER_SECONDS, queue))
               for _ in range(HOVER_CLIENTS)]
    for c in clients:
        c.start()
    results = [queue.get(timeout=120) for _ in clients]
    for c in clients:
        c.join()
    dispatcher = viewer._session.dispatcher
    dispatcher.wait_idle(30)
    sent = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    delivered, coalesced = dispatcher.delivered, dispatcher.coalesced
    viewer.stop()
    return {"sent": sent, "errors": errors, "per_second": sent / HOVER_SECONDS,
            "delivered": delivered, "coalesced": coalesced,
            "lost": sent - delivered - coalesced}


def main() -> None:
    rows = []
    for n in SIZES:
        r = selection_latency(n)
        rows.append(r)
        print(f"selection {n:>10,} cells ({r['selected']:,} selected, {r['body_kb']:.0f} KiB): "
              f"median {r['median_ms']:.1f} ms, p90 {r['p90_ms']:.1f} ms, "
              f"reply {r['reply_ms']:.1f} ms", flush=True)
    hover = hover_throughput()
    print(f"hover: {hover}", flush=True)
    targets = {1_000_000: 50, 10_000_000: 500}
    table = ["| dataset cells | selected (30 %) | body | POST → callback start, median | p90 | "
             "HTTP reply, median | target |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        target = f"≤ {targets[r['n']]} ms" if r["n"] in targets else ""
        table.append(f"| {r['n']:,} | {r['selected']:,} | {r['body_kb']:,.0f} KiB | "
                     f"{r['median_ms']:.1f} ms | {r['p90_ms']:.1f} ms | {r['reply_ms']:.1f} ms | "
                     f"{target} |")
    body = "\n".join(table) + (
        f"\n\nHover, sustained: {HOVER_CLIENTS} client processes posting as fast as they can for "
        f"{HOVER_SECONDS:g} s over keep-alive connections (same machine, so they share its cores "
        f"with the server), a callback that takes 0.5 ms: **{hover['per_second']:,.0f} events/s** "
        f"accepted (target ≥ 2,000/s); {hover['sent']:,} sent, {hover['delivered']:,} delivered "
        f"to the callback, {hover['coalesced']:,} coalesced (newest wins while the callback was "
        f"behind), **{hover['lost']} lost**, {hover['errors']} non-200 replies.\n\n"
        "For scale: the original implementation answers a 100k-cell selection in about 7 ms and "
        "rejects anything above ~130k cells (1 MB body limit on an index list).")
    write_section("events", "Events: POST → callback (bench/events.py)", body)


if __name__ == "__main__":
    if sys.argv[1:] == ["hover"]:
        print(hover_throughput())
    else:
        main()
