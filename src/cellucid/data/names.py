"""Closest-name suggestions for unknown embeddings, obs columns, layers and genes.

:func:`nearest_names` is cellucid's one suggestion algorithm; :class:`UnknownName` is the
``KeyError`` the data layer raises with those suggestions in its message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np


MAX_COMPARED_CHARS = 64


def _edit_distances(query: str, candidates: Sequence[str]) -> np.ndarray:
    """Levenshtein distance from ``query`` to each candidate (case-insensitive), vectorised.

    Names are compared on their first ``MAX_COMPARED_CHARS`` characters.
    """
    query = query.lower()[:MAX_COMPARED_CHARS]
    cands = [c.lower()[:MAX_COMPARED_CHARS] for c in candidates]
    width = max((len(c) for c in cands), default=0)
    codes = np.full((len(cands), width), -1, dtype=np.int32)
    for row, cand in enumerate(cands):
        codes[row, :len(cand)] = [ord(ch) for ch in cand]
    lengths = np.array([len(c) for c in cands], dtype=np.int64)
    prev = np.tile(np.arange(width + 1, dtype=np.int32), (len(cands), 1))
    for i, ch in enumerate(query, 1):
        best = np.minimum(prev[:, :-1] + (codes != ord(ch)), prev[:, 1:] + 1)
        cur = np.empty_like(prev)
        cur[:, 0] = i
        for j in range(1, width + 1):  # insertion depends on the cell to the left
            cur[:, j] = np.minimum(best[:, j - 1], cur[:, j - 1] + 1)
        prev = cur
    return prev[np.arange(len(cands)), lengths]


def nearest_names(name: str, candidates: Sequence[str], n: int = 5) -> list[str]:
    """Return up to ``n`` of ``candidates`` closest to ``name``, best first.

    Ranked by edit distance, ignoring case (so ``cd4`` finds ``CD4`` first), names containing
    ``name`` winning ties, then the order of ``candidates``; a name further than about half its
    length away is not suggested. Fast enough for every gene of an atlas.
    """
    cands = list(dict.fromkeys(str(c) for c in candidates))
    if not cands:
        return []
    query = str(name)
    dist = _edit_distances(query, cands)
    lowered = query.lower()
    contains = np.array([lowered in c.lower() for c in cands]) if lowered else \
        np.zeros(len(cands), bool)
    limit = max(2, len(query) // 2)
    keep = (dist <= limit) | contains
    order = np.lexsort((np.arange(len(cands)), ~contains, dist))
    return [cands[i] for i in order if keep[i]][:n]


def unknown_name_message(what: str, name: str, candidates: Iterable[str]) -> str:
    """Say that ``name`` is not a known ``what`` and name the closest real ones."""
    cands = list(candidates)
    close = nearest_names(name, cands)
    if close:
        hint = "closest: " + ", ".join(repr(c) for c in close)
    elif cands:
        shown = ", ".join(repr(c) for c in cands[:10])
        hint = f"available: {shown}" + (f" (and {len(cands) - 10} more)" if len(cands) > 10 else "")
    else:
        hint = f"this dataset has no {what}s"
    return f"unknown {what} {name!r}; {hint}"


class UnknownName(KeyError):
    """A name that is not in the dataset; ``str()`` is the plain message (not ``repr``)."""

    def __init__(self, what: str, name: str, candidates: Iterable[str]) -> None:
        self.message = unknown_name_message(what, name, candidates)
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message
