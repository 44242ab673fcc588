"""Closest-name suggestions for error messages about unknown embeddings, obs columns and genes."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence


def nearest_names(name: str, candidates: Sequence[str], n: int = 5) -> list[str]:
    """Return up to ``n`` of ``candidates`` closest to ``name``, best first.

    Case-insensitive prefix/substring matches come first, then ``difflib`` similarity.
    """
    lowered = str(name).lower()
    found: list[str] = []
    for cand in candidates:
        if len(found) >= n:
            break
        low = cand.lower()
        if low == lowered or (lowered and (low.startswith(lowered) or lowered in low)):
            found.append(cand)
    if len(found) < n:
        by_lower: dict[str, str] = {}
        for cand in candidates:
            by_lower.setdefault(cand.lower(), cand)
        for low in difflib.get_close_matches(lowered, list(by_lower), n=n, cutoff=0.5):
            cand = by_lower[low]
            if cand not in found:
                found.append(cand)
            if len(found) >= n:
                break
    return found[:n]


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
