"""Dask-backed expression matrices: recognising them, and computing their chunks a few at a time.

cellucid imports dask only once a dask array is met. Every computation here goes through the
scheduler ``dask.compute`` would use — the ``dask.distributed`` Client made default, if there is
one, else dask's local threaded scheduler — and asks it for a window of tasks at a time, so
neither the workers nor this process ever hold more than a few chunks of the matrix.

Chunks of the arrays may be numpy arrays or scipy sparse matrices (any format), as anndata's
lazy readers (``anndata.experimental.read_lazy``/``read_elem_lazy``) and
``da.from_array(matrix, asarray=False)`` make them.
"""

from __future__ import annotations

import itertools
import os
import sys
from collections import deque
from collections.abc import Iterator, Sequence

import numpy as np
import scipy.sparse as sp

INSTALL_HINT = "pip install 'cellucid[dask]'"


def require_dask() -> None:
    """Import dask, or raise ``ImportError`` saying how to install it."""
    try:
        import dask  # noqa: F401
        import dask.array  # noqa: F401
    except ImportError as exc:
        raise ImportError("this data holds dask arrays, and reading them needs dask: "
                          f"{INSTALL_HINT}") from exc


def is_dask_array(x) -> bool:
    """Whether ``x`` is a dask array (without importing dask for anything else)."""
    if not (type(x).__module__ or "").startswith("dask."):
        return False
    require_dask()
    import dask.array as da
    return isinstance(x, da.Array)


def active_client():
    """The ``dask.distributed`` Client that ``dask.compute`` would run on now, or None."""
    if "distributed" not in sys.modules:
        return None  # no Client can exist
    from dask.base import get_scheduler
    from distributed import Client
    client = getattr(get_scheduler(), "__self__", None)
    return client if isinstance(client, Client) else None


def parallelism() -> int:
    """How many tasks the active scheduler runs at once (worker threads, or local threads)."""
    client = active_client()
    if client is not None:
        return max(1, sum(client.nthreads().values()))
    import dask
    return max(1, int(dask.config.get("num_workers", None) or os.cpu_count() or 1))


def compute_batches(tasks: Sequence, size: int) -> Iterator:
    """Yield the results of ``tasks`` (dask delayed objects) in order, ``size`` per computation.

    Tasks computed together share their inputs (each input chunk is computed once per batch);
    at most one batch of results is held at a time.
    """
    import dask
    size = max(1, int(size))
    for a in range(0, len(tasks), size):
        yield from dask.compute(*tasks[a:a + size])


def compute_in_order(tasks: Sequence, window: int | None = None) -> Iterator:
    """Yield the results of independent ``tasks`` in order, at most ``window`` in flight.

    On a distributed Client the window slides: a task is submitted as soon as a result is taken,
    so the workers compute while this process consumes. Elsewhere it is `compute_batches`.
    ``window`` defaults to the scheduler's parallelism (plus one on a Client).
    """
    client = active_client()
    if client is None:
        yield from compute_batches(tasks, window or parallelism())
        return
    window = max(1, int(window or parallelism() + 1))
    queue = iter(tasks)
    pending = deque(client.compute(t) for t in itertools.islice(queue, window))
    try:
        while pending:
            future = pending.popleft()
            result = future.result()
            future.release()
            for task in itertools.islice(queue, 1):
                pending.append(client.compute(task))
            yield result
    finally:
        for future in pending:
            future.cancel()


def chunk_bounds(chunks: Sequence[int]) -> np.ndarray:
    """Where each chunk of one axis starts, then the axis length: int64 ``(len(chunks) + 1,)``."""
    return np.concatenate(([0], np.cumsum(chunks, dtype=np.int64))).astype(np.int64)


def block_grid(x) -> np.ndarray:
    """The chunks of the 2-D dask array ``x`` as a grid of delayed objects, graph kept whole.

    Unoptimised on purpose: fused tasks would recompute a shared input chunk once per consumer.
    """
    return x.to_delayed(optimize_graph=False)


def is_sparse_array(x) -> bool:
    """Whether the chunks of dask array ``x`` are scipy sparse matrices (by its ``_meta``)."""
    return sp.issparse(getattr(x, "_meta", None))


def stack_blocks(grid: Sequence[Sequence], fmt: str = "csc"):
    """One matrix from a row-major grid of chunks: sparse (``fmt``) if any chunk is, else numpy."""
    flat = [b for row in grid for b in row]
    if any(sp.issparse(b) for b in flat):
        rows = [row[0] if len(row) == 1 else sp.hstack(row, format="csr") for row in grid]
        stacked = rows[0] if len(rows) == 1 else sp.vstack(rows, format=fmt)
        return sp.csr_matrix(stacked) if fmt == "csr" else sp.csc_matrix(stacked)
    return np.vstack([np.hstack([np.asarray(b) for b in row]) for row in grid])


def take_block_columns(block, local: np.ndarray):
    """Columns ``local`` of one chunk, as float32: CSC for a sparse chunk, else a numpy array."""
    if sp.issparse(block):
        picked = sp.csc_matrix(sp.csr_matrix(block)[:, local])
        picked.sum_duplicates()
        return picked.astype(np.float32)
    return np.asarray(block)[:, local].astype(np.float32)


def take_columns(x, positions: Sequence[int]):
    """Columns ``positions`` (any order) of the dask array ``x``: float32 ``(n, k)``, that order.

    One task per chunk holding some of them, each keeping only those columns: a CSC matrix when
    the chunks are sparse, else a dense array. Memory: one chunk per task, and the ``k``
    columns here.
    """
    import dask
    positions = np.asarray(positions, dtype=np.int64)
    order = np.argsort(positions, kind="stable")
    wanted = positions[order]
    cols = chunk_bounds(x.chunks[1])
    chunk_of = np.searchsorted(cols, wanted, side="right") - 1
    used = np.unique(chunk_of)
    grid = block_grid(x)
    take = dask.delayed(take_block_columns, pure=True)
    tasks = [take(grid[i, j], wanted[chunk_of == j] - cols[j])
             for i in range(grid.shape[0]) for j in used]
    pieces = dask.compute(*tasks)
    rows = [pieces[i * len(used):(i + 1) * len(used)] for i in range(grid.shape[0])]
    picked = stack_blocks(rows, "csc")
    return picked[:, np.argsort(order)]


def dask_column_reader(x):
    """``read(j)``: column ``j`` of the dask array ``x`` as float32 ``(n_rows,)``, one task per
    row chunk (see `take_columns`)."""
    require_dask()

    def read(j: int) -> np.ndarray:
        column = take_columns(x, [int(j)])
        if sp.issparse(column):
            column = column.toarray()
        return np.ascontiguousarray(np.asarray(column).ravel(), dtype=np.float32)
    return read
