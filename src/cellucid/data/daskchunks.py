"""Row chunks of a dask array for the column-store writer, computed as dask tasks.

The writer (:func:`cellucid.data.colstore.write_column_store`) reads a matrix twice in row order:
once to count each gene's values, once to fill them in. Here each row chunk of the array is one
task per pass — the counting task returns only per-gene counts, the filling task the chunk as a
float32 CSC matrix — and tasks run on the active scheduler a window at a time (see
:func:`cellucid.data.daskarrays.compute_in_order`). A worker holds one chunk per task and this
process a window of CSC chunks, whatever the size of the whole matrix.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import scipy.sparse as sp

from .daskarrays import block_grid, chunk_bounds, compute_in_order, require_dask, stack_blocks
from .progress import progress_bar


def csc_slab(blocks: list) -> sp.csc_matrix:
    """One row chunk (its blocks along the genes) as a float32 CSC matrix with sorted indices."""
    slab = stack_blocks([blocks], "csr")
    csc = sp.csc_matrix(slab) if sp.issparse(slab) else sp.csc_matrix(np.asarray(slab))
    csc.sum_duplicates()
    return csc.astype(np.float32, copy=False)


def slab_counts(blocks: list) -> np.ndarray:
    """Stored values per gene of one row chunk, exactly as `csc_slab` stores them."""
    return np.diff(csc_slab(blocks).indptr).astype(np.int64)


def slab_rows(x, chunk_rows: int | None) -> int | None:
    """Rows per task for ``x``, or None to keep its own row chunks.

    ``chunk_rows`` when given. Chunks split along the genes are joined into whole rows, so their
    row chunks are then divided by the number of gene chunks: a task holds about one chunk.
    """
    if chunk_rows:
        return int(chunk_rows)
    n_col_chunks = len(x.chunks[1])
    if n_col_chunks > 1:
        return max(1, max(x.chunks[0]) // n_col_chunks)
    return None


class DaskRowChunks:
    """A chunk source (see :mod:`cellucid.data.chunks`) over a 2-D dask array.

    ``chunk_rows`` rechunks the array to that many rows per task (an input chunk larger than that
    is then computed for each piece of it); by default the array's own row chunks are used.
    ``progress_desc`` shows a progress bar of the counting pass under that name.
    """

    def __init__(self, array, chunk_rows: int | None = None, *, progress_desc: str | None = None,
                 window: int | None = None) -> None:
        require_dask()
        if array.ndim != 2:
            raise ValueError(f"the expression matrix must be 2-D, got shape {array.shape}")
        rows = slab_rows(array, chunk_rows)
        if rows is not None and rows != max(array.chunks[0], default=0):
            array = array.rechunk({0: rows}, method="tasks")
        self.array = array
        self.n_rows, self.n_cols = (int(s) for s in array.shape)
        self.row_starts = chunk_bounds(array.chunks[0])[:-1]
        self.progress_desc = progress_desc
        self.window = window

    def _tasks(self, function) -> list:
        import dask
        grid = block_grid(self.array)
        return [dask.delayed(function, pure=True)(list(grid[i])) for i in range(grid.shape[0])]

    def column_counts(self) -> np.ndarray:
        """Stored values per column, summed over one counting task per row chunk."""
        counts = np.zeros(self.n_cols, dtype=np.int64)
        sizes = self.array.chunks[0]
        with progress_bar(self.n_rows, f"{self.progress_desc} (counting)", unit="cells",
                          enabled=self.progress_desc is not None) as bar:
            for i, chunk in enumerate(compute_in_order(self._tasks(slab_counts), self.window)):
                counts += chunk
                bar.update(sizes[i])
        return counts

    def chunks(self) -> Iterator[tuple[int, sp.csc_matrix]]:
        """``(first_row, float32 CSC matrix)`` pieces in row order."""
        pieces = compute_in_order(self._tasks(csc_slab), self.window)
        for first_row, piece in zip(self.row_starts, pieces):
            yield int(first_row), piece
