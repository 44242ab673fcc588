"""``event["cells"]`` for big selections: a read-only sequence of ints over a numpy array.

The seed promises callbacks a sorted list of cell indices. A list of millions of Python ints
costs about 36 bytes and 30 ns per cell before a callback runs (60M cells: 2 GB, 2 s), so a
selection of more than ``LIST_MAX_CELLS`` cells is a :class:`CellSequence` instead: it is
built from a bitmask with one ``np.flatnonzero`` and behaves like the list in every reading
way — ``len``, indexing (negative too), slicing, iteration (Python ints), ``in``, ``==`` with
a list or another sequence, ``+`` with a list, ``repr`` — while ``np.asarray(cells)`` hands the
array itself over without a copy. Writing raises ``TypeError`` (``list(cells)`` gives a list
to edit). ``json.dumps(event, default=json_default)`` writes it as a JSON array. Built from a
mask, the array is uint32 (half the memory of int64: 230 MB for 60M cells; int64 past 2³²
cells), filled a range of cells at a time on several threads.

Smaller selections stay plain lists: below ``LIST_MAX_CELLS`` (1,000,000 cells, ~40 ms to
build) the list is cheap and is what existing code expects.
"""

from __future__ import annotations

import numbers
import operator
from collections.abc import Sequence

import numpy as np

from ..data.buffers import filled_empty
from ..data.parallel import map_ranges

LIST_MAX_CELLS = 1_000_000
ITER_CHUNK = 65_536
MASK_CHUNK = 1 << 22
REPR_EDGE = 3


class CellSequence(Sequence):
    """A sorted, read-only sequence of cell indices backed by a 1-D integer numpy array.

    ``cells`` must be sorted and without repeats (as every selection is; not checked). Raises
    ``TypeError`` for an array that is not 1-D of integers.
    """

    __slots__ = ("_cells",)
    __hash__ = None   # like a list

    def __init__(self, cells) -> None:
        arr = np.asarray(cells)
        if arr.size == 0:
            arr = np.zeros(0, dtype=np.int64)
        if arr.ndim != 1 or arr.dtype.kind not in "iu":
            raise TypeError(f"cells must be a 1-D array of integers, got {arr.shape} {arr.dtype}")
        view = arr.view()
        view.flags.writeable = False
        self._cells = view

    @classmethod
    def from_mask(cls, mask) -> CellSequence:
        """The cells whose entry of the bool ``mask`` is True (uint32 indices, int64 when the
        mask is longer than 2³²)."""
        return cls(mask_indices(np.asarray(mask, dtype=bool)))

    # -- reading like a list -----------------------------------------------------------------

    def __len__(self) -> int:
        return int(self._cells.shape[0])

    def __getitem__(self, index):
        if isinstance(index, slice):
            return CellSequence(self._cells[index])
        try:
            i = operator.index(index)
        except TypeError:
            raise TypeError(f"cell indices must be integers or slices, not "
                            f"{type(index).__name__}") from None
        return int(self._cells[i])

    def __iter__(self):
        for start in range(0, len(self), ITER_CHUNK):
            yield from self._cells[start:start + ITER_CHUNK].tolist()

    def __reversed__(self):
        for stop in range(len(self), 0, -ITER_CHUNK):
            yield from reversed(self._cells[max(0, stop - ITER_CHUNK):stop].tolist())

    def __contains__(self, value) -> bool:
        cell = _as_cell(value)
        if cell is None:
            return False
        i = int(np.searchsorted(self._cells, cell))
        return i < len(self) and int(self._cells[i]) == cell

    def index(self, value, start: int = 0, stop: int | None = None) -> int:
        """Position of ``value``; ``ValueError`` when it is not in the sequence (or the range)."""
        cell = _as_cell(value)
        i = int(np.searchsorted(self._cells, cell)) if cell is not None else len(self)
        first, last, _ = slice(start, stop).indices(len(self))
        if i < len(self) and int(self._cells[i]) == cell and first <= i < last:
            return i
        raise ValueError(f"{value!r} is not in the selection")

    def count(self, value) -> int:
        """1 when ``value`` is a selected cell, else 0."""
        return int(value in self)

    def __eq__(self, other):
        if isinstance(other, CellSequence):
            return np.array_equal(self._cells, np.asarray(other))   # its cells, not a copy
        if isinstance(other, list):   # as a list: never equal to a tuple or a range
            if len(other) != len(self):
                return False
            try:
                theirs = np.asarray(other)
            except (ValueError, TypeError, OverflowError):
                return list(self) == list(other)
            if theirs.dtype.kind not in "iufb":
                return list(self) == list(other)
            return bool(np.array_equal(self._cells, theirs))
        return NotImplemented

    def __add__(self, other):
        if isinstance(other, (list, CellSequence)):
            return self.tolist() + list(other)
        return NotImplemented

    def __radd__(self, other):
        if isinstance(other, list):
            return other + self.tolist()
        return NotImplemented

    def __repr__(self) -> str:
        n = len(self)
        if n <= 2 * REPR_EDGE + 1:
            return repr(self.tolist())
        head = ", ".join(map(str, self._cells[:REPR_EDGE].tolist()))
        tail = ", ".join(map(str, self._cells[-REPR_EDGE:].tolist()))
        return f"CellSequence([{head}, ..., {tail}], {n:,} cells)"

    def tolist(self) -> list[int]:
        """The cells as a list of Python ints."""
        return self._cells.tolist()

    def __reduce__(self):
        return CellSequence, (np.array(self._cells),)

    # -- numpy -----------------------------------------------------------------------------

    def __array__(self, dtype=None, copy=None):
        if copy:
            return np.array(self._cells, dtype=dtype)
        if dtype is None or np.dtype(dtype) == self._cells.dtype:
            return self._cells
        if copy is False:
            raise ValueError(f"cannot give the cells as {np.dtype(dtype)} without a copy")
        return self._cells.astype(dtype)

    # -- read-only -------------------------------------------------------------------------

    def __setitem__(self, index, value):
        raise TypeError("a selection's cells are read-only; list(cells) gives a list to edit")

    def __delitem__(self, index):
        raise TypeError("a selection's cells are read-only; list(cells) gives a list to edit")


def mask_indices(mask: np.ndarray) -> np.ndarray:
    """``np.flatnonzero(mask)`` as uint32 (int64 past 2³² entries), a range at a time on
    several threads."""
    dtype = np.uint32 if mask.shape[0] <= 1 << 32 else np.int64
    counts = map_ranges(lambda a, b: int(np.count_nonzero(mask[a:b])), mask.shape[0], MASK_CHUNK)
    starts = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])
    out = filled_empty(int(starts[-1]), dtype)

    def fill(a: int, b: int) -> None:
        i = a // MASK_CHUNK
        into = out[starts[i]:starts[i + 1]]
        if into.shape[0] == b - a:   # every entry set (a lasso round the whole view)
            into[:] = np.arange(a, b, dtype=dtype)
        else:
            np.add(np.flatnonzero(mask[a:b]), a, out=into, casting="unsafe")
    map_ranges(fill, mask.shape[0], MASK_CHUNK)
    return out


def _as_cell(value) -> int | None:
    """``value`` as a cell index when it equals an integer (``5``, ``np.int32(5)``, ``5.0``),
    else None."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        f = float(value)
        return int(f) if f.is_integer() else None
    return None


def event_cells(cells) -> list[int] | CellSequence:
    """The ``cells`` of an event from sorted indices or a bool mask: a list up to
    ``LIST_MAX_CELLS`` cells, else a :class:`CellSequence` (no copy of an index array)."""
    arr = np.asarray(cells)
    if arr.dtype == bool:
        arr = mask_indices(arr)
    if arr.size <= LIST_MAX_CELLS:
        return arr.tolist()
    return CellSequence(arr)


def json_default(value):
    """A ``default=`` for ``json.dumps`` that writes a :class:`CellSequence` as an array.

    Raises ``TypeError`` for anything else, as ``json`` itself does."""
    if isinstance(value, CellSequence):
        return value.tolist()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
