"""Gene names: lookup by name or symbol, and the search the viewer's gene box uses."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .names import UnknownName


class GeneIndex:
    """The dataset's genes (``var_names``) and, optionally, a symbols column from ``var``."""

    def __init__(self, names, symbols=None) -> None:
        self.names = pd.Index([str(n) for n in names])
        self.symbols = None if symbols is None else pd.Index(
            ["" if (s is None or (isinstance(s, float) and np.isnan(s))) else str(s)
             for s in symbols])
        self._by_name = {n: i for i, n in enumerate(self.names)}
        self._by_symbol: dict[str, int] = {}
        if self.symbols is not None:
            for i, s in enumerate(self.symbols):
                if s:
                    self._by_symbol.setdefault(s, i)
        self._lower_names = self.names.str.lower()
        self._lower_symbols = None if self.symbols is None else self.symbols.str.lower()
        self._by_lower: dict[str, int] | None = None

    def __len__(self) -> int:
        return len(self.names)

    def find(self, name: str) -> int | None:
        """Return the position of gene ``name`` (a var name or symbol, then case-insensitive), or None."""
        if name in self._by_name:
            return self._by_name[name]
        if name in self._by_symbol:
            return self._by_symbol[name]
        if self._by_lower is None:
            seen: dict[str, set[int]] = {}
            for labels in (self._lower_names, self._lower_symbols):
                for i, low in enumerate(labels if labels is not None else ()):
                    if low:
                        seen.setdefault(low, set()).add(i)
            # only a case-insensitive spelling that names one gene is accepted
            self._by_lower = {k: next(iter(v)) for k, v in seen.items() if len(v) == 1}
        return self._by_lower.get(str(name).lower())

    def position(self, name: str) -> int:
        """Return the position of gene ``name``; ``KeyError`` naming the closest genes if unknown."""
        pos = self.find(name)
        if pos is None:
            raise UnknownName("gene", name, self.all_labels())
        return pos

    def all_labels(self) -> list[str]:
        """Every var name, then every symbol that differs from its var name."""
        labels = list(self.names)
        if self.symbols is not None:
            labels += [s for s, n in zip(self.symbols, self.names) if s and s != n]
        return labels

    def entry(self, pos: int) -> dict:
        """The ``{"name", "symbol"}`` record of the gene at ``pos``."""
        symbol = None if self.symbols is None else (self.symbols[pos] or None)
        return {"name": self.names[pos], "symbol": symbol}

    def search(self, q: str, limit: int = 20) -> tuple[list[dict], int]:
        """Genes whose name or symbol contains ``q`` (case-insensitive), best first.

        Exact matches come first, then prefix matches, then the rest, each in var order. Returns
        the first ``limit`` records and the total number of matches.
        """
        q = str(q).strip().lower()
        if not q:
            return [], 0
        exact = self._lower_names == q
        prefix = self._lower_names.str.startswith(q)
        contains = self._lower_names.str.contains(q, regex=False)
        if self._lower_symbols is not None:
            exact = exact | (self._lower_symbols == q)
            prefix = prefix | self._lower_symbols.str.startswith(q)
            contains = contains | self._lower_symbols.str.contains(q, regex=False)
        exact, prefix, contains = (np.asarray(a, dtype=bool) for a in (exact, prefix, contains))
        total = int(np.count_nonzero(contains))
        order = np.concatenate([np.flatnonzero(exact), np.flatnonzero(prefix & ~exact),
                                np.flatnonzero(contains & ~prefix & ~exact)])
        return [self.entry(int(i)) for i in order[:max(0, int(limit))]], total


def gene_index(var: pd.DataFrame, var_names, gene_symbols: str | None) -> GeneIndex:
    """The :class:`GeneIndex` of ``var``; ``KeyError`` if ``gene_symbols`` is not a var column."""
    if gene_symbols is None:
        return GeneIndex(var_names)
    if gene_symbols not in var.columns:
        raise UnknownName("var column (gene_symbols)", gene_symbols, [str(c) for c in var.columns])
    return GeneIndex(var_names, var[gene_symbols].to_numpy())
